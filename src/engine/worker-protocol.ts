/**
 * Messages between the engine frontend (HTTP thread) and the engine worker (model thread). Everything
 * crosses by structured clone, so Maps and Sets inside sampling params and requests travel as they are.
 */
import type { TokenizerFiles } from "../tokenizer/config.ts";
import type { ToolCallFormat } from "./protocol.ts";
import type { EngineCoreRequest, EngineCoreStats, TokenOutput } from "./core-types.ts";

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
  /** Prefix cache entries (blocks) kept for reuse. */
  prefixCacheSize?: number;
  /** Tokens per KV block. */
  blockSize?: number;
  maxCacheBlocks?: number;
  /** Fraction of device memory the KV pool may take (0..1]. */
  gpuMemoryUtilization?: number;
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
  /** Tokenizer files carried by the weights (GGUF); absent for model directories. */
  tokenizerFiles?: TokenizerFiles;
}

export type FromWorker =
  | { type: "ready"; model: ModelFacts; stats: EngineCoreStats }
  | { type: "load-failed"; message: string }
  | { type: "outputs"; outputs: TokenOutput[]; stats: EngineCoreStats }
  /** `requestIds` "all": every request the worker held failed (the core was reset). */
  | { type: "failed"; requestIds: string[] | "all"; message: string; stats: EngineCoreStats }
  | { type: "stats"; stats: EngineCoreStats }
  | { type: "closed" };
