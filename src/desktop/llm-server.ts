/**
 * The desktop app's model server: the same engine, routes and HTTP server as `vllm-mlx serve`, started and
 * stopped on request inside the app's worker, with the live log (`/v1/logs`) always on. Failures are thrown,
 * never turned into an exit: the window stays open and shows them.
 */
import type { ServeConfig } from "../cli/serve.ts";
import { httpAppOptions, httpServeOptions } from "../cli/serve-http.ts";
import { listenErrorMessage, hostProblem } from "../cli/listen.ts";
import { uiLoader } from "../cli/ui-bundle.ts";
import { createEngine } from "../engine/create.ts";
import type { LogHub } from "../server/log-hub.ts";
import { createApp, serve, type ServerHandle } from "../server/index.ts";

/** A running model server. */
export interface LlmServer {
  readonly url: string;
  readonly port: number;
  readonly model: string;
  readonly contextLength: number;
  /** Graceful: running generations get `graceMs`, then the engine closes and the port is freed. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Loads `config.model` and serves it; resolves once the weights are loaded.
 *
 * @example
 *   const server = await startLlmServer(parseServeArgs({ model: "./m", port: "8000" }), logs);
 *   await server.stop();
 */
export async function startLlmServer(config: ServeConfig, logs: LogHub): Promise<LlmServer> {
  const model = config.model ?? (await (await import("../models/default-model.ts")).defaultModelPath());
  const badHost = await hostProblem(config.host);
  if (badHost !== null) throw new Error(badHost);
  logs.publish("info", "engine", `loading ${model}`);
  const engine = await createEngine({
    model, core: config.core, waitReady: false,
    ...(config.defaultMaxTokens === undefined ? {} : { defaultMaxTokens: config.defaultMaxTokens }),
    ...(config.servedModelName === undefined ? {} : { servedModelName: config.servedModelName }),
  });
  const name = engine.modelInfo().id;
  const app = createApp({
    engine, servedModelName: name, modelAliases: [model], logs,
    ...httpAppOptions(config.http ?? {}, config.host, config.port),
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
    ui: { load: uiLoader(), defaults: { maxTokens: config.defaultMaxTokens ?? 2048, temperature: 0.7 } },
  });
  let handle: ServerHandle;
  try {
    handle = await serve(app, { host: config.host, port: config.port, ...httpServeOptions(config.http ?? {}) });
  } catch (e) {
    await engine.close(1000);
    throw new Error(listenErrorMessage(e, config.host, config.port));
  }
  try {
    await engine.ready;
  } catch (e) {
    await handle.stop(0);
    await engine.close(1000);
    throw e;
  }
  const contextLength = engine.modelInfo().contextLength;
  logs.publish("info", "engine", `serving ${name} at ${handle.url.href}v1 (context ${contextLength} tokens)`);
  let stopping: Promise<void> | null = null;
  return {
    url: handle.url.href, port: handle.port, model: name, contextLength,
    stop(graceMs = 5000) {
      stopping ??= (async () => {
        logs.publish("info", "engine", "stopping the server");
        await handle.stop(graceMs);
        await engine.close();
        logs.publish("info", "engine", "server stopped; engine closed");
      })();
      return stopping;
    },
  };
}
