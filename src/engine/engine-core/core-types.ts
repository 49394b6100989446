/**
 * The contract between the engine frontend (tokenization, detokenization, stop strings) and an engine core
 * (scheduling and model execution). The batched core (engine-core.ts) implements {@link EngineCoreLike}; the
 * worker (worker/worker-loop.ts) drives it, and tests drive scripted cores through the same interface.
 */
import { NoFreeBlocksError, SchedulerError } from "../core/errors.ts";
import type { SamplingParams } from "../sampling/params.ts";
import type { TokenGrammar } from "../structured/token-grammar.ts";
import type { StructuredOutputSpec } from "../structured/spec.ts";
import type { MultiModalItem } from "../multimodal/mm-items.ts";
import type { EncoderCacheStats } from "../multimodal/encoder-cache.ts";

/** One request as the core sees it: token ids in, token ids out. */
export interface EngineCoreRequest {
  requestId: string;
  promptTokenIds: number[];
  sampling: SamplingParams;
  /** Most completion tokens. */
  maxTokens: number;
  /** The request finishes with "stop" after emitting one of these. */
  stopTokenIds: ReadonlySet<number>;
  /** An output constraint; the worker compiles it into the `grammar` that {@link EngineCoreLike.addRequest} takes. */
  structured?: StructuredOutputSpec;
  /** The prompt's images and videos (preprocessed pixels, content hashes, placeholder ranges), sorted by offset. */
  mm?: readonly MultiModalItem[];
}

/** One generated token of one request (n > 1 is n requests: the frontend's `ParentRequest`). */
export interface TokenOutput {
  requestId: string;
  token: number;
  /** The token's log-probability, when the request asked for logprobs. */
  logprob: number | null;
  /** The most likely alternatives, when the request asked for them. */
  top: { token: number; logprob: number }[] | null;
  /** Set on the request's last token. */
  finishReason: "stop" | "length" | null;
  numPromptTokens: number;
  /** Prompt tokens served from the prefix cache. */
  numCachedTokens: number;
}

export interface EngineCoreConfig {
  /** Tokens per KV block (default 16). */
  blockSize: number;
  /** The KV budget in blocks; when unset, from kvCacheMemoryBytes or gpuMemoryUtilization. */
  numGpuBlocks?: number;
  /** The KV budget in bytes. */
  kvCacheMemoryBytes?: number;
  /** When no budget is given: the budget is at most this share of the memory free after loading (default 0.5). */
  gpuMemoryUtilization: number;
  /** Bytes the KV pool starts with; it grows on demand up to the budget (default 64 MiB). */
  initialKvBytes?: number;
  /** MLX's buffer cache limit in bytes (default: 10% of MLX's memory limit, at most 1 GiB on unified memory). */
  mlxCacheLimitBytes?: number;
  /** Memory free for the KV pool (default: the OS's available memory and MLX's headroom); tests inject it. */
  freeMemoryBytes?: () => number;
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  enablePrefixCaching: boolean;
  /** Most tokens (prompt plus output) one sequence may hold. */
  maxModelLen: number;
  /** Most prompt tokens one prefill chunk takes in a step (default: the step's token budget). */
  longPrefillTokenThreshold?: number;
  /** Most prompts prefilled (chunked) in one step (default: as many as the token budget allows). */
  maxNumPartialPrefills?: number;
  /**
   * Schedule and queue step n+1 before reading step n's tokens (vLLM's async scheduling): the next step's graph
   * is built and queued while the device still runs this one, its decode inputs taken from the device-side
   * samples. While a request uses penalties (they count the latest output) steps run one at a time. Default true.
   */
  asyncScheduling: boolean;
  /** A VLM's encoder-output cache budget in bytes (`--mm-cache-bytes`; default 512 MiB, 0 turns it off). */
  mmCacheBytes?: number;
  /**
   * Pad each step's tokens to a bucket (1, 2, 4, then multiples of 8 up to 512) so that a backend compiling
   * kernels per shape (MLX's CUDA backend) sees a bounded set of step shapes. Default: on GPU backends.
   */
  padSteps?: boolean;
  /**
   * A step launched with none in flight (from idle, or with async scheduling off) queues its forward in groups of
   * this many layers (`async_eval` after each), so the device starts on the first layers while the host builds the
   * rest, instead of waiting for the whole graph: a lone step's time becomes about the host's alone. Steps launched
   * ahead are queued whole (the device is busy with the one before). 0 queues every forward whole. Default:
   * `VLLM_MLX_QUEUE_LAYERS`, else 1 (H100, Qwen3-0.6B shapes: cold 2048-token TTFT 27.7 -> 23.8 ms, a prefix hit
   * 11.7 -> 8.9 ms against whole forwards; bench/RESULTS.md, round 2 session 7).
   */
  queueLayers?: number;
}

/** `VLLM_MLX_QUEUE_LAYERS` as a count of layers, or undefined when unset or not a count. */
export function queueLayersFromEnv(value = process.env.VLLM_MLX_QUEUE_LAYERS): number | undefined {
  const n = value === undefined || value.trim() === "" ? Number.NaN : Number(value);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** EngineCore's defaults (the frontend reads maxNumSeqs from here too, without loading MLX). */
export const DEFAULT_ENGINE_CORE_CONFIG = {
  blockSize: 16,
  gpuMemoryUtilization: 0.5,
  maxNumSeqs: 64,
  maxNumBatchedTokens: 2048,
  enablePrefixCaching: true,
  asyncScheduling: true,
} as const;

/** Occupancy, cache counters and memory of a core. */
export interface EngineCoreStats {
  running: number;
  waiting: number;
  /** The KV budget, in blocks. */
  numBlocks: number;
  /** Blocks held by sequences. */
  usedBlocks: number;
  /** Blocks backed by memory now (the pool grows on demand up to numBlocks and shrinks when idle). */
  backedBlocks: number;
  /** Bytes of one KV block (every layer, keys and values). */
  bytesPerBlock: number;
  /** Prefix cache, in prompt tokens: looked up and found (found = prompt tokens saved). */
  prefixCacheQueries: number;
  prefixCacheHits: number;
  /** Prefix cache, in requests: allocations, those reusing a block, those reusing a block that holds media; and evicted blocks. */
  prefixCacheRequests: number;
  prefixCacheRequestHits: number;
  prefixCacheMmHits: number;
  prefixCacheEvictions: number;
  /** A VLM's encoder-output cache (null for a text-only model). */
  encoderCache: EncoderCacheStats | null;
  numPreemptions: number;
  /** MLX's buffer cache: bytes held now, and its limit. */
  mlxCacheBytes: number;
  mlxCacheLimitBytes: number;
  /** Bytes of MLX arrays alive (weights, KV pool, in-flight steps). */
  mlxActiveBytes: number;
}

/** The stats of a core that holds nothing (before the model is loaded). */
export const EMPTY_CORE_STATS: EngineCoreStats = {
  running: 0, waiting: 0, numBlocks: 0, usedBlocks: 0, backedBlocks: 0, bytesPerBlock: 0, prefixCacheQueries: 0,
  prefixCacheHits: 0, prefixCacheRequests: 0, prefixCacheRequestHits: 0, prefixCacheMmHits: 0, prefixCacheEvictions: 0,
  encoderCache: null, numPreemptions: 0, mlxCacheBytes: 0, mlxCacheLimitBytes: 0, mlxActiveBytes: 0,
};

/**
 * A synchronous engine core: requests go in, `step()` runs one scheduling step and returns the tokens it
 * produced.
 *
 * @example
 *   core.addRequest({ requestId: "r1", promptTokenIds: [1, 2], sampling: GREEDY, maxTokens: 8, stopTokenIds: new Set([2]) });
 *   while (core.hasUnfinished()) for (const out of core.step()) console.log(out.token);
 */
export interface EngineCoreLike {
  /** `grammar`, when given, constrains every sampled token of the request (the core disposes it). */
  addRequest(req: EngineCoreRequest, grammar?: TokenGrammar): void;
  /** Frees the request's sequences; unknown or finished ids are ignored. */
  abortRequest(requestId: string): void;
  step(): TokenOutput[];
  hasUnfinished(): boolean;
  stats(): EngineCoreStats;
  /**
   * Gives memory back while idle: shrinks the KV pool to its initial size (dropping cached prefixes past it) and
   * empties MLX's buffer cache. Returns the bytes released; does nothing while requests are unfinished.
   */
  releaseIdleMemory?(): number;
}

/**
 * Thrown by `step()` when some requests failed (e.g. an MlxError in their forward pass) and the core has
 * already dropped them; the other requests go on. Any other error thrown by `step()` fails every request.
 *
 * @example
 *   throw new CoreStepError(["r1"], "out of memory during prefill");
 */
export class CoreStepError extends Error {
  override readonly name = "CoreStepError";
  constructor(
    readonly requestIds: readonly string[],
    message: string,
    /** Tokens other requests produced in the same step. */
    readonly outputs: readonly TokenOutput[] = [],
    /** What the client is told: a fault of ours ("internal", 500) unless the core knows better. */
    readonly kind: FailureKind = "internal",
  ) {
    super(message);
  }
}

/**
 * Why a request failed, as it crosses the worker boundary: "invalid" (400: the request itself is wrong),
 * "capacity" (503: the machine cannot take it now, e.g. memory pressure), "internal" (500: a fault).
 */
export type FailureKind = "invalid" | "capacity" | "internal";

/** The KV cache cannot grow because the OS reports too little free memory (a 503, never a device abort). */
export class MemoryPressureError extends Error {
  override readonly name = "MemoryPressureError";
}

/** The kind of a failure thrown by the core: its own request errors are "invalid", memory pressure "capacity". */
export function failureKind(e: unknown): FailureKind {
  if (e instanceof CoreStepError) return e.kind;
  if (e instanceof MemoryPressureError) return "capacity";
  if (e instanceof SchedulerError && !(e instanceof NoFreeBlocksError)) return "invalid";
  return "internal";
}
