/** Where a sequence is in its life: queued, in the running batch, evicted to recompute later, or done. */
export type SequenceStatus = "waiting" | "running" | "preempted" | "finished";

/** Why a sequence finished: a stop condition, its token limit, or an abort. */
export type FinishReason = "stop" | "length" | "abort";

export interface SequenceOptions<P = unknown> {
  /** Unique id; defaults to a process-wide counter. */
  id?: number;
  promptTokenIds: readonly number[];
  /** Outputs already generated (a forked child's own first sampled token); they count toward maxTokens. */
  outputTokenIds?: readonly number[];
  /** Most output tokens to generate (>= 1). */
  maxTokens: number;
  /** Opaque to the scheduler; carried for the sampler. */
  samplingParams?: P;
  /** Milliseconds; orders FCFS and picks the preemption victim. Defaults to `performance.now()`. */
  arrivalTime?: number;
}

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
  readonly samplingParams: P | undefined;
  readonly arrivalTime: number;
  status: SequenceStatus = "waiting";
  finishReason: FinishReason | null = null;
  /** Prompt tokens whose KV came from the prefix cache at the last allocation (block aligned). */
  numCachedTokens = 0;
  /** Tokens whose KV is computed (or reused); drives chunked prefill. */
  numComputedTokens = 0;
  /** Tokens this sequence computes in the current step (a prefill chunk or 1 for a decode). */
  numNewTokens = 0;
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
    this.samplingParams = options.samplingParams;
    this.arrivalTime = options.arrivalTime ?? performance.now();
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

  /** The newest token (the input of the next decode). */
  get lastToken(): number {
    return this.tokenIds[this.tokenIds.length - 1] ?? -1;
  }

  /** True once every token but the last sampled one has its KV computed (the sequence decodes next). */
  get isPrefillDone(): boolean {
    return this.numComputedTokens >= this.numTokens - 1;
  }

  get isFinished(): boolean {
    return this.status === "finished";
  }

  /** Blocks needed to hold the KV of all current tokens. */
  numBlocks(blockSize: number): number {
    return Math.ceil(this.numTokens / blockSize);
  }

  appendToken(tokenId: number): void {
    this.tokenIds.push(tokenId);
    this.outputTokenIds.push(tokenId);
  }

  /** Replaces the newest output token (one appended as a placeholder before its sample was read). */
  settleLastToken(tokenId: number): void {
    if (this.outputTokenIds.length === 0) throw new RangeError(`sequence ${this.id} has no output token to settle`);
    this.tokenIds[this.tokenIds.length - 1] = tokenId;
    this.outputTokenIds[this.outputTokenIds.length - 1] = tokenId;
  }
}
