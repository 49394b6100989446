import type { Sequence } from "./sequence.ts";

/** One sequence's work in a step: KV slots `[numComputedTokens, numComputedTokens + numNewTokens)`. */
export interface ScheduledSequence<P = unknown> {
  seq: Sequence<P>;
  numNewTokens: number;
  /** KV position where this step starts (the sequence's numComputedTokens before the step). */
  numComputedTokens: number;
  /**
   * Prompt tokens are computed (a prompt, a chunk of one, its last token alone), or a recompute after preemption;
   * otherwise a decode, whose one token is the last one sampled.
   */
  isPrefill: boolean;
  /** The step reaches the end of the sequence, so the runner samples a token for it. */
  emitsToken: boolean;
}

/** What one engine step must compute. */
export interface SchedulerOutput<P = unknown> {
  /** In scheduling order: running decodes, unfinished prefills, newly admitted; each sequence at most once. */
  scheduled: ScheduledSequence<P>[];
  /** Sequences evicted this step; they wait to recompute prompt plus outputs. */
  preempted: Sequence<P>[];
  numScheduledTokens: number;
  numPrefillTokens: number;
  numDecodeTokens: number;
}

/** Accumulates one step's scheduled work against its token budget and sequence cap. */
export class StepBuilder<P> {
  readonly scheduled: ScheduledSequence<P>[] = [];
  readonly preempted: Sequence<P>[] = [];
  #numPrefillTokens = 0;
  #numDecodeTokens = 0;
  /** Prefill entries (prompt chunks) in the step. */
  numPrefills = 0;

  constructor(
    public budget: number,
    readonly maxNumSeqs: number,
  ) {}

  hasRoom(): boolean {
    return this.budget > 0 && this.scheduled.length < this.maxNumSeqs;
  }

  add(seq: Sequence<P>, numNewTokens: number): void {
    const isPrefill = !seq.isPrefillDone;
    const emitsToken = seq.numComputedTokens + numNewTokens === seq.numTokens;
    this.scheduled.push({ seq, numNewTokens, numComputedTokens: seq.numComputedTokens, isPrefill, emitsToken });
    this.budget -= numNewTokens;
    if (isPrefill) {
      this.#numPrefillTokens += numNewTokens;
      this.numPrefills++;
    } else this.#numDecodeTokens += numNewTokens;
  }

  output(): SchedulerOutput<P> {
    const { scheduled, preempted } = this;
    const numPrefillTokens = this.#numPrefillTokens;
    const numDecodeTokens = this.#numDecodeTokens;
    const numScheduledTokens = numPrefillTokens + numDecodeTokens;
    return { scheduled, preempted, numScheduledTokens, numPrefillTokens, numDecodeTokens };
  }
}
