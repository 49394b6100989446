/**
 * Messages between the engine frontend (HTTP thread) and the engine worker (model thread). Everything
 * crosses by structured clone, so Maps and Sets inside sampling params and requests travel as they are.
 */
import type { TokenizerFiles } from "../../tokenizer/config.ts";
import type { ToolCallFormat } from "../protocol.ts";
import type { EngineCoreRequest, EngineCoreStats, FailureKind, TokenOutput } from "../engine-core/core-types.ts";

/** Scheduling and cache options for the core, in the original project's (and vLLM's) terms. */
export interface CoreOptions {
  maxNumSeqs?: number;
  maxNumBatchedTokens?: number;
  prefillBatchSize?: number;
  completionBatchSize?: number;
  prefillStepSize?: number;
  enablePrefixCache?: boolean;
  /** Queue step n+1 before reading step n (default true). */
  asyncScheduling?: boolean;
  /** Pad steps to a few batch sizes and run one decode step at each when the model loads (default: GPU backends). */
  warmup?: boolean;
  /** The original project's prefix cache size: accepted and ignored (cached prefixes share the KV budget). */
  prefixCacheSize?: number;
  /** Tokens per KV block. */
  blockSize?: number;
  /** Most prompt tokens one prefill chunk takes in a step (vLLM's --long-prefill-token-threshold). */
  longPrefillTokenThreshold?: number;
  maxCacheBlocks?: number;
  /** Without a budget: the KV budget's share of the memory free after loading (0..1]. */
  gpuMemoryUtilization?: number;
  /** The KV budget in bytes (vLLM's --kv-cache-memory). */
  kvCacheMemoryBytes?: number;
  /** Most tokens (prompt plus output) one sequence may hold; default the model's context length. */
  maxModelLen?: number;
  /** Seconds without requests after which the KV pool shrinks back and MLX's buffer cache is emptied (0: never). */
  kvIdleReleaseSeconds?: number;
  /** MLX's buffer cache limit in bytes. */
  mlxCacheLimitBytes?: number;
  /** A VLM's encoder-output cache budget in bytes (`--mm-cache-bytes`; 0 turns it off). */
  mmCacheBytes?: number;
}

/** Starts the worker: where the model is and where libvmlx lives (compiled binaries pass it explicitly). */
export interface InitMessage {
  type: "init";
  modelPath: string;
  libraryDir?: string;
  core: CoreOptions;
}

export type ToWorker =
  | InitMessage
  | { type: "add"; request: EngineCoreRequest }
  | { type: "abort"; requestId: string }
  | { type: "shutdown" };

/** What the frontend learns about the model once the worker loaded it. */
export interface ModelFacts {
  modelType: string;
  contextLength: number;
  toolCallFormat: ToolCallFormat;
  /** The width of the model's logits (config `vocab_size`). */
  vocabSize?: number;
  /** Tokenizer files carried by the weights (GGUF); absent for model directories. */
  tokenizerFiles?: TokenizerFiles;
}

export type FromWorker =
  | { type: "ready"; model: ModelFacts; stats: EngineCoreStats }
  | { type: "load-failed"; message: string }
  | { type: "outputs"; outputs: TokenOutput[]; stats: EngineCoreStats }
  /** `requestIds` "all": every request the worker held failed (the core was reset). */
  | { type: "failed"; requestIds: string[] | "all"; message: string; kind: FailureKind; stats: EngineCoreStats }
  | { type: "stats"; stats: EngineCoreStats }
  | { type: "closed" };
