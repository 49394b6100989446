/**
 * Builds the served engine from a model spec (local folder, .gguf file or Hub repo id), and picks the
 * engine core the worker runs ({@link createCore}).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { modelDisplayName, type ResolveOptions, resolveModel } from "../hub/index.ts";
import { loadTokenizer, type ModelTokenizer } from "../tokenizer/index.ts";
import type { DecoderModel } from "../models/decoder.ts";
import { AsyncEngine, type ServingLimits } from "./frontend/async-engine.ts";
import type { EngineCoreLike } from "./engine-core/core-types.ts";
import { generationDefaults } from "./frontend/sampling.ts";
import * as mx from "../mlx/index.ts";
import { EngineCore, type EngineCoreConfig } from "./engine-core/engine-core.ts";
import { multimodalModel } from "./multimodal/vision-model.ts";
import type { VisionLanguageModel } from "../models/vision/vlm.ts";
import type { ToolCallFormat } from "./protocol.ts";
import { detectToolCallFormat } from "./frontend/tool-call-format.ts";
import type { CoreOptions } from "./worker/worker-protocol.ts";
import { loadVisionProcessor } from "../models/vision/load-processor.ts";
import { DEFAULT_MEDIA_POLICY } from "../media/index.ts";
import { sharpAddonPath } from "../media/sharp.ts";
import { DEFAULT_VIDEO_FPS, DEFAULT_VIDEO_MAX_FRAMES, type MediaServingOptions } from "./frontend/media-inputs.ts";

/**
 * Most prompt tokens one prefill chunk takes on the CPU backend, so that no step runs long there (a decode
 * stream sharing the step waits for the chunk).
 */
export const CPU_LONG_PREFILL_TOKEN_THRESHOLD = 64;

/**
 * The core the worker runs: the batched, paged EngineCore. The original project's flags map onto it:
 * `--completion-batch-size` bounds the running batch when `--max-num-seqs` is not given,
 * `--max-cache-blocks` fixes the pool size, and the prefix cache's size is the pool's free blocks (LRU).
 *
 * @example
 *   const core = createCore(model, { maxNumSeqs: 4 });
 */
export function createCore(model: DecoderModel, options: CoreOptions, vlm?: VisionLanguageModel): EngineCoreLike {
  const config: Partial<EngineCoreConfig> & { maxModelLen: number } = {
    maxModelLen: options.maxModelLen ?? model.spec.config.maxPositionEmbeddings,
  };
  if (options.kvCacheMemoryBytes !== undefined) config.kvCacheMemoryBytes = options.kvCacheMemoryBytes;
  if (options.mlxCacheLimitBytes !== undefined) config.mlxCacheLimitBytes = options.mlxCacheLimitBytes;
  const maxNumSeqs = options.maxNumSeqs ?? options.completionBatchSize;
  if (maxNumSeqs !== undefined) config.maxNumSeqs = maxNumSeqs;
  if (options.maxNumBatchedTokens !== undefined) config.maxNumBatchedTokens = options.maxNumBatchedTokens;
  else if (options.prefillStepSize !== undefined) config.maxNumBatchedTokens = Math.max(options.prefillStepSize, maxNumSeqs ?? 64);
  if (options.enablePrefixCache !== undefined) config.enablePrefixCaching = options.enablePrefixCache;
  if (options.asyncScheduling !== undefined) config.asyncScheduling = options.asyncScheduling;
  if (options.blockSize !== undefined) config.blockSize = options.blockSize;
  if (options.maxCacheBlocks !== undefined) config.numGpuBlocks = options.maxCacheBlocks;
  if (options.gpuMemoryUtilization !== undefined) config.gpuMemoryUtilization = options.gpuMemoryUtilization;
  const threshold = options.longPrefillTokenThreshold ?? (mx.gpuAvailable() ? undefined : CPU_LONG_PREFILL_TOKEN_THRESHOLD);
  if (threshold !== undefined) config.longPrefillTokenThreshold = threshold;
  if (options.prefillBatchSize !== undefined) config.maxNumPartialPrefills = options.prefillBatchSize;
  if (options.mmCacheBytes !== undefined) config.mmCacheBytes = options.mmCacheBytes;
  const warmup = options.warmup ?? mx.gpuAvailable();
  config.padSteps = warmup;
  const core = new EngineCore(model, config, vlm ? multimodalModel(vlm) : null);
  if (warmup) core.warmup();
  return core;
}

export interface CreateEngineOptions extends ServingLimits {
  /** Local folder, .gguf file, or Hub repo id (`org/name[@revision]`). */
  model: string;
  /** The id clients see (default: {@link modelDisplayName} of the spec, e.g. the repo id or folder name). */
  servedModelName?: string;
  /** Options for finding or downloading the model. */
  resolve?: ResolveOptions;
  /** Wait for the weights before resolving (default true). */
  waitReady?: boolean;
  /** `--tool-call-parser`: overrides the format found in the chat template and the family default. */
  toolCallParser?: ToolCallFormat;
  /** How a VLM fetches and decodes media (the media flags); default: {@link DEFAULT_MEDIA_SERVING}. */
  media?: MediaServingOptions;
}

/** No local files, no private URLs, 2 video frames per second, at most 128 frames. */
export const DEFAULT_MEDIA_SERVING: MediaServingOptions = {
  policy: DEFAULT_MEDIA_POLICY, videoFps: DEFAULT_VIDEO_FPS, videoMaxFrames: DEFAULT_VIDEO_MAX_FRAMES,
};

function readJsonObject(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const value: unknown = JSON.parse(readFileSync(path, "utf8"));
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The chat template text(s) of a model folder, joined, for feature detection. */
export function chatTemplateText(dir: string): string | undefined {
  const jinja = join(dir, "chat_template.jinja");
  if (existsSync(jinja)) return readFileSync(jinja, "utf8");
  const raw = readJsonObject(join(dir, "chat_template.json"))?.chat_template ?? readJsonObject(join(dir, "tokenizer_config.json"))?.chat_template;
  if (typeof raw === "string") return raw;
  if (Array.isArray(raw)) return raw.map((t) => String((t as { template?: unknown }).template ?? "")).join("\n");
  return undefined;
}

async function libraryDir(): Promise<string> {
  const mx = await import("../mlx/index.ts");
  return dirname(mx.info().libraryPath);
}

/**
 * Resolves the model, loads its tokenizer and starts the engine worker.
 *
 * @example
 *   const engine = await createEngine({ model: "mlx-community/Qwen3-0.6B-4bit" });
 *   const app = createApp({ engine });
 *   await engine.close();
 */
export async function createEngine(options: CreateEngineOptions): Promise<AsyncEngine> {
  const resolved = await resolveModel(options.model, options.resolve);
  const modelPath = resolved.format === "gguf" && resolved.ggufFile ? resolved.ggufFile : resolved.dir;
  const tokenizer: ModelTokenizer | undefined = existsSync(join(resolved.dir, "tokenizer.json")) ? await loadTokenizer(resolved.dir) : undefined;
  const template = chatTemplateText(resolved.dir);
  const toolCallFormat = options.toolCallParser ?? detectToolCallFormat(template);
  // A VLM folder (its config's model_type) prepares image and video parts; a bad processor config fails here.
  // The prompt worker decodes images with sharp; a compiled binary's unpacked addon is found here (src/media/sharp.ts).
  const sharpAddon = sharpAddonPath();
  const vision = resolved.format !== "gguf" && loadVisionProcessor(resolved.dir) !== null
    ? { modelDir: resolved.dir, serving: options.media ?? DEFAULT_MEDIA_SERVING, ...(sharpAddon ? { sharpAddon } : {}) }
    : undefined;
  const engine = new AsyncEngine({
    id: options.servedModelName ?? modelDisplayName(options.model, options.resolve?.cwd),
    modelPath,
    ...(tokenizer ? { tokenizer } : {}),
    ...(template ? { chatTemplateSource: template } : {}),
    ...(toolCallFormat ? { toolCallFormat } : {}),
    generationDefaults: generationDefaults(readJsonObject(join(resolved.dir, "generation_config.json"))),
    ...(options.defaultMaxTokens === undefined ? {} : { defaultMaxTokens: options.defaultMaxTokens }),
    ...(options.contextLength === undefined ? {} : { contextLength: options.contextLength }),
    ...(options.maxWaiting === undefined ? {} : { maxWaiting: options.maxWaiting }),
    ...(options.queueTimeoutSeconds === undefined ? {} : { queueTimeoutSeconds: options.queueTimeoutSeconds }),
    ...(options.requestTimeoutSeconds === undefined ? {} : { requestTimeoutSeconds: options.requestTimeoutSeconds }),
    ...(options.core ? { core: options.core } : {}),
    ...(vision ? { vision } : {}),
    libraryDir: await libraryDir(),
  });
  if (options.waitReady ?? true) {
    try {
      await engine.ready;
    } catch (error) {
      // A model that failed to load leaves no worker running: the caller gets the error, and its process can end.
      await engine.close(1000).catch(() => undefined);
      throw error;
    }
  }
  return engine;
}
