/**
 * Builds the served engine for any model folder: a {@link PoolingEngine} for embedding and rerank models
 * (found from the folder's files, or `--task`), else the chat engine of ../create.ts.
 */
import { modelDisplayName, resolveModel } from "../../hub/index.ts";
import { poolingConfig, type PoolingTask } from "../../models/pooling-config.ts";
import { loadTokenizer } from "../../tokenizer/index.ts";
import type { AsyncEngine } from "../frontend/async-engine.ts";
import { createEngine, type CreateEngineOptions } from "../create.ts";
import { PoolingEngine } from "./engine.ts";

/** `--task`: vLLM's runner choice. `generate` forces the chat engine; `embed`/`score` a pooling one. */
export type ServeTask = PoolingTask | "generate";

export interface ServedEngineOptions extends CreateEngineOptions {
  task?: ServeTask;
}

/**
 * @example
 *   const engine = await createServedEngine({ model: "./all-MiniLM-L6-v2" });
 *   if (engine instanceof PoolingEngine) createApp({ engine, pooling: engine });
 */
export async function createServedEngine(options: ServedEngineOptions): Promise<AsyncEngine | PoolingEngine> {
  if (options.task !== "generate") {
    const resolved = await resolveModel(options.model, options.resolve);
    const config = resolved.format === "gguf" ? null : poolingConfig(resolved.dir, options.task);
    if (config) {
      const mx = await import("../../mlx/index.ts");
      const { dirname } = await import("node:path");
      const engine = new PoolingEngine({
        id: options.servedModelName ?? modelDisplayName(options.model, options.resolve?.cwd),
        modelPath: resolved.dir,
        tokenizer: await loadTokenizer(resolved.dir),
        task: config.task,
        libraryDir: dirname(mx.info().libraryPath),
        ...(options.maxWaiting === undefined ? {} : { maxWaiting: options.maxWaiting }),
      });
      if (options.waitReady ?? true) await engine.ready;
      return engine;
    }
  }
  return createEngine(options);
}
