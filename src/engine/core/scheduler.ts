import { BlockManager } from "./block-manager.ts";
import type { SchedulerConfig } from "./config.ts";
import { InvalidRequestError, RequestTooLargeError, SchedulerError } from "./errors.ts";
import type { BlockHasher } from "./hashing.ts";
import type { PrefixCacheStats } from "./prefix-cache.ts";
import { type SchedulerOutput, StepBuilder } from "./scheduler-output.ts";
import { type FinishReason, PLACEHOLDER_TOKEN, type Sequence } from "./sequence.ts";

export interface SchedulerOptions {
  hasher?: BlockHasher;
}

export interface SchedulerStats {
  numWaiting: number;
  numRunning: number;
  numPreemptions: number;
  kvUsage: number;
  prefixCache: PrefixCacheStats;
}

/**
 * FCFS continuous-batching scheduler with chunked prefill, prefix caching and preemption by recompute.
 * Each step spends at most `maxNumBatchedTokens`: running decodes first (1 token each), then unfinished
 * prefills, then newly admitted sequences. When a decode finds no free block, the most recently arrived
 * running sequence is preempted (blocks freed, put back at the front of `waiting`, outputs kept).
 *
 * As in vLLM v1, `schedule()` already advances each scheduled sequence's computed tokens and appends a
 * placeholder for each token it will sample, so the next step can be scheduled before this one's tokens are
 * read (async scheduling). `updateFromOutput` settles the placeholders and is the one place where a sequence
 * ends on a token: a stop token, or its maxTokens.
 *
 * @example
 * const scheduler = new Scheduler(createSchedulerConfig({ numBlocks: 512 }));
 * scheduler.add(new Sequence({ promptTokenIds: ids, maxTokens: 64, stopTokenIds: new Set([EOS]) }));
 * while (scheduler.hasUnfinished()) {
 *   const output = scheduler.schedule();
 *   const tokenIds = runner.run(output); // one token per entry with emitsToken, in order
 *   for (const seq of scheduler.updateFromOutput(output, tokenIds)) emitDone(seq);
 * }
 */
export class Scheduler<P = unknown> {
  readonly blockManager: BlockManager;
  readonly #waiting: Sequence<P>[] = [];
  /** Sorted by (arrivalTime, id): the last one is the preemption victim. */
  readonly #running: Sequence<P>[] = [];
  readonly #byId = new Map<number, Sequence<P>>();
  #numPreemptions = 0;

  constructor(
    readonly config: SchedulerConfig,
    options: SchedulerOptions = {},
  ) {
    this.blockManager = new BlockManager(config.numBlocks, config.blockSize, {
      enablePrefixCaching: config.enablePrefixCaching,
      ...(config.initialBlocks !== undefined ? { initialBlocks: config.initialBlocks } : {}),
      ...(options.hasher ? { hasher: options.hasher } : {}),
    });
  }

  get waiting(): readonly Sequence<P>[] {
    return this.#waiting;
  }

  get running(): readonly Sequence<P>[] {
    return this.#running;
  }

  hasUnfinished(): boolean {
    return this.#waiting.length + this.#running.length > 0;
  }

  /** Queues a new sequence; throws `RequestTooLargeError` if it could never fit the pool. */
  add(seq: Sequence<P>): void {
    if (this.#byId.has(seq.id)) throw new InvalidRequestError(`sequence ${seq.id} is already scheduled`);
    if (seq.status !== "waiting" || seq.blockTable.length > 0) {
      throw new InvalidRequestError(`sequence ${seq.id} is not new (status ${seq.status})`);
    }
    if (seq.numPromptTokens === 0) throw new InvalidRequestError(`sequence ${seq.id} has an empty prompt`);
    if (!Number.isInteger(seq.maxTokens) || seq.maxTokens < 1) {
      throw new InvalidRequestError(`sequence ${seq.id}: maxTokens must be a positive integer`);
    }
    const maxKvTokens = seq.numPromptTokens + seq.maxTokens - 1;
    const blocksNeeded = Math.ceil(maxKvTokens / this.config.blockSize);
    if (blocksNeeded > this.config.numBlocks) {
      throw new RequestTooLargeError(seq.id, maxKvTokens, blocksNeeded, this.config.numBlocks);
    }
    this.#byId.set(seq.id, seq);
    this.#waiting.push(seq);
  }

  /** Finishes a sequence with `reason` wherever it is; frees its blocks. Returns false for unknown ids. */
  finish(seqId: number, reason: FinishReason): boolean {
    const seq = this.#byId.get(seqId);
    if (!seq) return false;
    removeFrom(this.#waiting, seq);
    removeFrom(this.#running, seq);
    this.blockManager.free(seq);
    seq.status = "finished";
    seq.finishReason = reason;
    this.#byId.delete(seqId);
    return true;
  }

  /** Aborts a sequence in any state (waiting, prefilling, decoding, preempted). */
  abort(seqId: number): boolean {
    return this.finish(seqId, "abort");
  }

  /**
   * Plans the next step and commits it: each scheduled sequence's KV positions advance and each entry that
   * samples gets a placeholder token, settled by {@link updateFromOutput}.
   */
  schedule(): SchedulerOutput<P> {
    const step = new StepBuilder<P>(this.config.maxNumBatchedTokens, this.config.maxNumSeqs);
    this.#scheduleDecodes(step);
    this.#schedulePrefills(step);
    if (step.preempted.length === 0) this.#admitWaiting(step);
    const output = step.output();
    for (const entry of output.scheduled) {
      entry.seq.numComputedTokens = entry.numComputedTokens + entry.numNewTokens;
      if (entry.emitsToken) entry.seq.appendToken(PLACEHOLDER_TOKEN);
    }
    return output;
  }

  /**
   * Applies a step's sampled tokens: settles each placeholder, registers newly full blocks in the prefix cache
   * and finishes sequences that sampled a stop token or reached maxTokens. `tokenIds` holds one token per
   * scheduled entry with `emitsToken`, in order. Entries finished meanwhile (aborted) are skipped. Returns the
   * sequences this finished (`finishReason` set).
   */
  updateFromOutput(output: SchedulerOutput<P>, tokenIds: readonly number[]): Sequence<P>[] {
    const numEmitting = output.scheduled.filter((e) => e.emitsToken).length;
    if (tokenIds.length !== numEmitting) {
      throw new SchedulerError(`updateFromOutput expects ${numEmitting} sampled tokens, got ${tokenIds.length}`);
    }
    const finished: Sequence<P>[] = [];
    let k = 0;
    for (const entry of output.scheduled) {
      const tokenId = entry.emitsToken ? tokenIds[k++]! : undefined;
      const seq = entry.seq;
      if (seq.status === "finished") continue;
      const pos = entry.numComputedTokens + entry.numNewTokens; // where this step's token sits
      if (tokenId !== undefined) seq.settleToken(pos, tokenId);
      this.blockManager.cacheBlocks(seq);
      if (tokenId === undefined) continue;
      const stop = seq.stopTokenIds.has(tokenId);
      if (!stop && pos + 1 - seq.numPromptTokens < seq.maxTokens) continue;
      seq.truncateAfter(pos);
      this.finish(seq.id, stop ? "stop" : "length");
      finished.push(seq);
    }
    return finished;
  }

  stats(): SchedulerStats {
    return {
      numWaiting: this.#waiting.length,
      numRunning: this.#running.length,
      numPreemptions: this.#numPreemptions,
      kvUsage: this.blockManager.usage(),
      prefixCache: this.blockManager.prefixCacheStats,
    };
  }

  #scheduleDecodes(step: StepBuilder<P>): void {
    for (let i = 0; i < this.#running.length; i++) {
      const seq = this.#running[i]!;
      // A sequence at maxTokens only waits for its last token to be read.
      if (!seq.isPrefillDone || seq.numOutputTokens >= seq.maxTokens) continue;
      if (!step.hasRoom()) return;
      while (!this.blockManager.canAppend(seq)) {
        const victim = this.#running[this.#running.length - 1]!;
        this.#preempt(victim, step);
        if (victim === seq) return;
      }
      this.blockManager.mayAppend(seq);
      step.add(seq, 1);
    }
  }

  /** Whether the step may take one more prompt chunk (`maxNumPartialPrefills`). */
  #prefillRoom(step: StepBuilder<P>): boolean {
    return step.hasRoom() && step.numPrefills < (this.config.maxNumPartialPrefills ?? Number.POSITIVE_INFINITY);
  }

  #schedulePrefills(step: StepBuilder<P>): void {
    for (const seq of this.#running) {
      if (seq.isPrefillDone) continue;
      if (!this.#prefillRoom(step)) return;
      const chunk = this.#chunkSize(seq, step.budget);
      if (!this.blockManager.canAppend(seq, chunk)) continue;
      this.blockManager.mayAppend(seq, chunk);
      step.add(seq, chunk);
    }
  }

  #admitWaiting(step: StepBuilder<P>): void {
    while (this.#waiting.length > 0 && this.#running.length < this.config.maxNumSeqs && this.#prefillRoom(step)) {
      const seq = this.#waiting[0]!;
      if (!this.blockManager.tryAllocate(seq)) return;
      this.#waiting.shift();
      seq.status = "running";
      this.#insertRunning(seq);
      const chunk = this.#chunkSize(seq, step.budget);
      this.blockManager.mayAppend(seq, chunk);
      step.add(seq, chunk);
    }
  }

  #chunkSize(seq: Sequence<P>, budget: number): number {
    const threshold = this.config.longPrefillTokenThreshold ?? Number.POSITIVE_INFINITY;
    return Math.min(seq.numTokens - seq.numComputedTokens, budget, threshold);
  }

  #preempt(seq: Sequence<P>, step: StepBuilder<P>): void {
    removeFrom(this.#running, seq);
    this.blockManager.free(seq);
    seq.status = "preempted";
    seq.numComputedTokens = 0;
    seq.numCachedTokens = 0;
    seq.numPreemptions++;
    this.#numPreemptions++;
    this.#waiting.unshift(seq);
    step.preempted.push(seq);
  }

  #insertRunning(seq: Sequence<P>): void {
    let i = this.#running.length;
    while (i > 0 && arrivesAfter(this.#running[i - 1]!, seq)) i--;
    this.#running.splice(i, 0, seq);
  }
}

function arrivesAfter(a: Sequence, b: Sequence): boolean {
  return a.arrivalTime > b.arrivalTime || (a.arrivalTime === b.arrivalTime && a.id > b.id);
}

function removeFrom<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}
