import type { BlockManager } from "./block-manager.ts";
import { createSchedulerConfig, type SchedulerConfig } from "./config.ts";
import { Scheduler, type SchedulerOptions } from "./scheduler.ts";
import type { SchedulerOutput } from "./scheduler-output.ts";
import { Sequence } from "./sequence.ts";

/**
 * Test double of a paged model runner: its "KV cache" stores each position's token id in the slot the block
 * table names, and its "model" picks the next token from the tokens read back through the block table.
 * A wrong block table or a bad prefix-cache hit changes the outputs, and writing into a block another sequence
 * shares throws. A position the prefix cache holds (below the sequence's numCachedTokens: a fully cached prompt's
 * last token) is not written, as the model runner skips it; it must hold that very token.
 *
 * @example
 * const runner = new SimKvRunner(scheduler.blockManager);
 * while (scheduler.hasUnfinished()) { const out = scheduler.schedule(); scheduler.updateFromOutput(out, runner.run(out)); }
 */
export class SimKvRunner {
  readonly kv: Int32Array;
  numComputedTokens = 0;

  constructor(
    readonly blockManager: BlockManager,
    readonly vocabSize = 1000,
  ) {
    this.kv = new Int32Array(blockManager.numBlocks * blockManager.blockSize).fill(-1);
  }

  run(output: SchedulerOutput): number[] {
    const bs = this.blockManager.blockSize;
    const sampled: number[] = [];
    for (const e of output.scheduled) {
      for (let p = e.numComputedTokens; p < e.numComputedTokens + e.numNewTokens; p++) {
        const block = e.seq.blockTable[Math.floor(p / bs)];
        if (block === undefined) throw new Error(`seq ${e.seq.id}: no block for position ${p}`);
        const slot = block * bs + (p % bs);
        if (p < e.seq.numCachedTokens) {
          if (this.kv[slot] !== e.seq.tokenIds[p]) throw new Error(`seq ${e.seq.id}: cached position ${p} holds another token`);
          continue;
        }
        if (this.blockManager.refCount(block) !== 1) throw new Error(`seq ${e.seq.id}: write into shared block`);
        this.kv[slot] = e.seq.tokenIds[p]!;
      }
      this.numComputedTokens += e.numNewTokens;
      if (e.emitsToken) sampled.push(this.#nextToken(e.seq, e.numComputedTokens + e.numNewTokens));
    }
    return sampled;
  }

  #nextToken(seq: Sequence, length: number): number {
    const bs = this.blockManager.blockSize;
    const context: number[] = [];
    for (let p = 0; p < length; p++) context.push(this.kv[seq.blockTable[Math.floor(p / bs)]! * bs + (p % bs)]!);
    return referenceNextToken(context, this.vocabSize);
  }
}

/** The fake model: a deterministic function of the whole token sequence. */
export function referenceNextToken(context: readonly number[], vocabSize = 1000): number {
  let h = 17;
  for (let i = 0; i < context.length; i++) h = (Math.imul(h, 31) + context[i]! * (i + 7)) | 0;
  return (h >>> 0) % vocabSize;
}

/** The block size of {@link makeScheduler}'s default config. */
export const TEST_BLOCK_SIZE = 4;

/** A scheduler (64 blocks of 4 tokens, a 64-token budget, 8 sequences unless `config` says otherwise) and its runner. */
export function makeScheduler(config: Partial<SchedulerConfig> = {}, options: SchedulerOptions = {}) {
  const full = createSchedulerConfig({ numBlocks: 64, blockSize: TEST_BLOCK_SIZE, maxNumBatchedTokens: 64, maxNumSeqs: 8, ...config });
  const scheduler = new Scheduler(full, options);
  return { scheduler, runner: new SimKvRunner(scheduler.blockManager) };
}

/** Runs a scheduler to completion with a `SimKvRunner`; returns each step's output and the finished sequences. */
export function runToCompletion(
  scheduler: Scheduler,
  runner = new SimKvRunner(scheduler.blockManager),
  maxSteps = 10_000,
): { steps: SchedulerOutput[]; finished: Sequence[] } {
  const steps: SchedulerOutput[] = [];
  const finished: Sequence[] = [];
  while (scheduler.hasUnfinished()) {
    if (steps.length >= maxSteps) throw new Error(`no completion after ${maxSteps} steps`);
    const output = scheduler.schedule();
    steps.push(output);
    finished.push(...scheduler.updateFromOutput(output, runner.run(output)));
  }
  return { steps, finished };
}

/** Token ids `start, start + 1, …` (`n` of them). */
export function tokenRange(start: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => start + i);
}

/** A sequence with this prompt and room for 8 output tokens. */
export function promptSequence(tokens: number[]): Sequence {
  return new Sequence({ promptTokenIds: tokens, maxTokens: 8 });
}

/** Allocates `tokens` in `bm` and marks the whole prompt computed and cached, as a finished prefill would. */
export function prefillBlocks(bm: BlockManager, tokens: number[]): Sequence {
  const seq = promptSequence(tokens);
  bm.allocate(seq);
  seq.numComputedTokens = seq.numTokens;
  bm.cacheBlocks(seq);
  return seq;
}
