import type { MultiModalPlaceholder } from "./mm-keys.ts";

/** Where a sequence is in its life: queued, in the running batch, evicted to recompute later, or done. */
export type SequenceStatus = "waiting" | "running" | "preempted" | "finished";

/** Why a sequence finished: a stop condition, its token limit, or an abort. */
export type FinishReason = "stop" | "length" | "abort";

export interface SequenceOptions<P = unknown> {
  /** Unique id; defaults to a process-wide counter. */
  id?: number;
  promptTokenIds: readonly number[];
  /** Outputs already generated; they count toward maxTokens. */
  outputTokenIds?: readonly number[];
  /** Most output tokens to generate (>= 1). */
  maxTokens: number;
  /** Sampling one of these finishes the sequence with "stop" (EOS and the request's stop token ids). */
  stopTokenIds?: ReadonlySet<number>;
  /** Opaque to the scheduler; carried for the sampler. */
  samplingParams?: P;
  /** Milliseconds; orders FCFS and picks the preemption victim. Defaults to `performance.now()`. */
  arrivalTime?: number;
  /** The prompt's images and videos, sorted by offset: their content hashes key the blocks holding their tokens. */
  mmPlaceholders?: readonly MultiModalPlaceholder[];
}

/** The token a sequence holds from the schedule of the step that samples it until that step's output is read. */
export const PLACEHOLDER_TOKEN = -1;

let nextSequenceId = 0;

/**
 * One generation request's token state, KV position and block table, in vLLM's vocabulary.
 * The KV of tokens `[0, numComputedTokens)` is computed; the last sampled token is not yet in the KV.
 *
 * @example
 * const seq = new Sequence({ promptTokenIds: [1, 2, 3], maxTokens: 16 });
 * seq.numTokens; // 3
 * seq.numBlocks(16); // 1
 */
export class Sequence<P = unknown> {
  readonly id: number;
  readonly promptTokenIds: readonly number[];
  readonly outputTokenIds: number[] = [];
  /** Prompt followed by outputs. */
  readonly tokenIds: number[];
  readonly maxTokens: number;
  readonly stopTokenIds: ReadonlySet<number>;
  readonly samplingParams: P | undefined;
  readonly arrivalTime: number;
  readonly mmPlaceholders: readonly MultiModalPlaceholder[];
  status: SequenceStatus = "waiting";
  finishReason: FinishReason | null = null;
  /**
   * Tokens whose KV came from the prefix cache at the last allocation (whole blocks). All of them when every block
   * is cached: the last one is then computed again for its logits (numComputedTokens is one less), its KV not written.
   */
  numCachedTokens = 0;
  /** Tokens whose KV is computed (or reused); drives chunked prefill. */
  numComputedTokens = 0;
  /** Physical KV block ids, one per `blockSize` tokens. */
  blockTable: number[] = [];
  /** Times this sequence was preempted. */
  numPreemptions = 0;

  constructor(options: SequenceOptions<P>) {
    this.id = options.id ?? nextSequenceId++;
    this.promptTokenIds = [...options.promptTokenIds];
    this.tokenIds = [...options.promptTokenIds];
    for (const tokenId of options.outputTokenIds ?? []) this.appendToken(tokenId);
    this.maxTokens = options.maxTokens;
    this.stopTokenIds = options.stopTokenIds ?? new Set();
    this.samplingParams = options.samplingParams;
    this.arrivalTime = options.arrivalTime ?? performance.now();
    this.mmPlaceholders = options.mmPlaceholders ?? [];
  }

  get numTokens(): number {
    return this.tokenIds.length;
  }

  get numPromptTokens(): number {
    return this.promptTokenIds.length;
  }

  get numOutputTokens(): number {
    return this.outputTokenIds.length;
  }

  /**
   * True once every token but the last sampled one has its KV computed (the sequence decodes next). A prompt's last
   * token is prefill still: the step that computes it samples the first output.
   */
  get isPrefillDone(): boolean {
    return this.numOutputTokens > 0 && this.numComputedTokens >= this.numTokens - 1;
  }

  /** Blocks needed to hold the KV of all current tokens. */
  numBlocks(blockSize: number): number {
    return Math.ceil(this.numTokens / blockSize);
  }

  appendToken(tokenId: number): void {
    this.tokenIds.push(tokenId);
    this.outputTokenIds.push(tokenId);
  }

  /** Settles the placeholder at token position `pos` (appended at schedule time) with the sampled token. */
  settleToken(pos: number, tokenId: number): void {
    const out = pos - this.promptTokenIds.length;
    if (out < 0 || out >= this.outputTokenIds.length) throw new RangeError(`sequence ${this.id} has no output token at ${pos}`);
    this.tokenIds[pos] = tokenId;
    this.outputTokenIds[out] = tokenId;
  }

  /** Drops the tokens after position `pos` (placeholders of steps scheduled past the sequence's end). */
  truncateAfter(pos: number): void {
    this.tokenIds.length = Math.min(this.tokenIds.length, pos + 1);
    this.outputTokenIds.length = Math.max(0, this.tokenIds.length - this.promptTokenIds.length);
  }
}
