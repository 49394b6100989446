/**
 * The contract between the engine frontend (tokenization, detokenization, stop strings) and an engine core
 * (scheduling and model execution). The serial core (serial-core.ts) and the batched core (engine-core.ts)
 * both implement {@link EngineCoreLike}; the worker (worker-loop.ts) drives whichever one create.ts picks.
 */
import type { SamplingParams } from "./sampling/params.ts";

/** One request as the core sees it: token ids in, token ids out. */
export interface EngineCoreRequest {
  requestId: string;
  promptTokenIds: number[];
  sampling: SamplingParams;
  /** Completion tokens per choice. */
  maxTokens: number;
  /** A choice finishes with "stop" after emitting one of these. */
  stopTokenIds: ReadonlySet<number>;
  /** Choices generated for the prompt (default 1); outputs carry the choice `index`. */
  n?: number;
}

/** One generated token of one choice. */
export interface TokenOutput {
  requestId: string;
  /** Choice index, 0..n-1. */
  index: number;
  token: number;
  /** The token's log-probability, when the request asked for logprobs. */
  logprob: number | null;
  /** The most likely alternatives, when the request asked for them. */
  top: { token: number; logprob: number }[] | null;
  /** Set on the choice's last token. */
  finishReason: "stop" | "length" | null;
  numPromptTokens: number;
  /** Prompt tokens served from the prefix cache. */
  numCachedTokens: number;
}

/** Occupancy and cache counters of a core. */
export interface EngineCoreStats {
  running: number;
  waiting: number;
  numBlocks: number;
  usedBlocks: number;
  prefixCacheQueries: number;
  prefixCacheHits: number;
  numPreemptions: number;
}

/**
 * A synchronous engine core: requests go in, `step()` runs one scheduling step and returns the tokens it
 * produced.
 *
 * @example
 *   core.addRequest({ requestId: "r1", promptTokenIds: [1, 2], sampling: GREEDY, maxTokens: 8, stopTokenIds: new Set([2]) });
 *   while (core.hasUnfinished()) for (const out of core.step()) console.log(out.token);
 */
export interface EngineCoreLike {
  addRequest(req: EngineCoreRequest): void;
  /** Frees the request's sequences; unknown or finished ids are ignored. */
  abortRequest(requestId: string): void;
  step(): TokenOutput[];
  hasUnfinished(): boolean;
  stats(): EngineCoreStats;
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
  ) {
    super(message);
  }
}
