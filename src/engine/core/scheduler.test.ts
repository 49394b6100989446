import { describe, expect, test } from "bun:test";
import { InvalidRequestError, RequestTooLargeError, SchedulerError } from "./errors.ts";
import type { Scheduler } from "./scheduler.ts";
import type { SchedulerOutput } from "./scheduler-output.ts";
import { PLACEHOLDER_TOKEN, Sequence } from "./sequence.ts";
import { makeScheduler, referenceNextToken, type SimKvRunner, TEST_BLOCK_SIZE, tokenRange } from "./testing.ts";

const BS = TEST_BLOCK_SIZE;
const range = tokenRange;

function seq(id: number, promptLength: number, maxTokens = 4, start = id * 1000, stopTokenIds = new Set<number>()) {
  return new Sequence({ id, promptTokenIds: range(start, promptLength), maxTokens, arrivalTime: id, stopTokenIds });
}

function step(scheduler: Scheduler, runner: SimKvRunner): SchedulerOutput {
  const output = scheduler.schedule();
  scheduler.updateFromOutput(output, runner.run(output));
  return output;
}

/** The fake model's outputs for `prompt` alone. */
function reference5(prompt: readonly number[], maxTokens: number): number[] {
  const tokens = [...prompt];
  for (let i = 0; i < maxTokens; i++) tokens.push(referenceNextToken(tokens));
  return tokens.slice(prompt.length);
}

const entryOf = (output: SchedulerOutput, id: number) => output.scheduled.find((e) => e.seq.id === id);

describe("Scheduler basics", () => {
  test("a request is prefilled in one step, then decoded one token per step", () => {
    const { scheduler, runner } = makeScheduler();
    const s = seq(1, 10, 3);
    scheduler.add(s);
    expect(scheduler.hasUnfinished()).toBe(true);
    const first = scheduler.schedule();
    expect(first.scheduled).toEqual([{ seq: s, numNewTokens: 10, numComputedTokens: 0, isPrefill: true, emitsToken: true }]);
    expect(first.numPrefillTokens).toBe(10);
    expect(s.status).toBe("running");
    scheduler.updateFromOutput(first, runner.run(first));
    expect(s.outputTokenIds.length).toBe(1);
    expect(s.numComputedTokens).toBe(10);
    const second = step(scheduler, runner);
    expect(second.scheduled[0]).toMatchObject({ numNewTokens: 1, numComputedTokens: 10, isPrefill: false, emitsToken: true });
    expect(second.numDecodeTokens).toBe(1);
    step(scheduler, runner);
    expect(s.status).toBe("finished");
    expect(s.finishReason).toBe("length");
    expect(s.outputTokenIds.length).toBe(3);
    expect(scheduler.hasUnfinished()).toBe(false);
    expect(scheduler.blockManager.numFreeBlocks).toBe(64);
  });

  test("an empty step when nothing is queued", () => {
    const { scheduler } = makeScheduler();
    const output = scheduler.schedule();
    expect(output.scheduled).toEqual([]);
    expect(output.numScheduledTokens).toBe(0);
  });

  test("a stop token finishes with reason stop; updateFromOutput returns finished sequences", () => {
    const prompt = range(1000, 5);
    const second = referenceNextToken([...prompt, referenceNextToken(prompt)]);
    const { scheduler, runner } = makeScheduler();
    const a = seq(1, 5, 10, 1000, new Set([second]));
    scheduler.add(a);
    step(scheduler, runner);
    const output = scheduler.schedule();
    const finished = scheduler.updateFromOutput(output, runner.run(output));
    expect(finished).toEqual([a]);
    expect(a.finishReason).toBe("stop");
    expect(a.numOutputTokens).toBe(2);
    expect(scheduler.blockManager.numFreeBlocks).toBe(64);
  });

  test("updateFromOutput rejects a wrong number of sampled tokens", () => {
    const { scheduler } = makeScheduler();
    scheduler.add(seq(1, 5));
    const output = scheduler.schedule();
    expect(() => scheduler.updateFromOutput(output, [])).toThrow(SchedulerError);
    expect(() => scheduler.updateFromOutput(output, [1, 2])).toThrow(SchedulerError);
  });

  test("schedule commits the step: positions advance and each sampling entry holds a placeholder until its token is read", () => {
    const { scheduler, runner } = makeScheduler();
    const a = seq(1, 5, 3);
    scheduler.add(a);
    const first = scheduler.schedule();
    expect(a.numComputedTokens).toBe(5);
    expect(a.outputTokenIds).toEqual([PLACEHOLDER_TOKEN]);
    const tokens = runner.run(first);
    // The next step is scheduled before the first one's token is read (async scheduling).
    const second = scheduler.schedule();
    expect(second.scheduled.map((e) => [e.numComputedTokens, e.numNewTokens])).toEqual([[5, 1]]);
    expect(scheduler.updateFromOutput(first, tokens)).toEqual([]);
    expect(a.outputTokenIds).toEqual([tokens[0]!, PLACEHOLDER_TOKEN]);
    const more = runner.run(second);
    const third = scheduler.schedule();
    expect(third.scheduled.length).toBe(1);
    scheduler.updateFromOutput(second, more);
    const last = runner.run(third);
    // a holds its 3 tokens, one unread: nothing more is scheduled for it.
    expect(scheduler.schedule().scheduled).toEqual([]);
    expect(scheduler.updateFromOutput(third, last)).toEqual([a]);
    expect(a.finishReason).toBe("length");
    expect(a.outputTokenIds).toEqual(reference5(range(1000, 5), 3));
  });

  test("a stop token read after the next step was scheduled ends the sequence there and drops that step's placeholder", () => {
    const prompt = range(1000, 5);
    const first = referenceNextToken(prompt);
    const { scheduler, runner } = makeScheduler();
    const a = seq(1, 5, 10, 1000, new Set([first]));
    scheduler.add(a);
    const s1 = scheduler.schedule();
    const t1 = runner.run(s1);
    const s2 = scheduler.schedule();
    expect(scheduler.updateFromOutput(s1, t1)).toEqual([a]);
    expect(a.outputTokenIds).toEqual([first]);
    expect(scheduler.updateFromOutput(s2, [0])).toEqual([]);
    expect(a.outputTokenIds).toEqual([first]);
    expect(scheduler.blockManager.numFreeBlocks).toBe(64);
  });
});

describe("Scheduler budgets", () => {
  test("every step stays within maxNumBatchedTokens and maxNumSeqs", () => {
    const { scheduler, runner } = makeScheduler({ maxNumBatchedTokens: 16, maxNumSeqs: 3, numBlocks: 40 });
    for (let id = 1; id <= 10; id++) scheduler.add(seq(id, 3 + ((id * 7) % 20), 1 + (id % 5)));
    let steps = 0;
    while (scheduler.hasUnfinished()) {
      const output = step(scheduler, runner);
      const total = output.scheduled.reduce((n, e) => n + e.numNewTokens, 0);
      expect(total).toBe(output.numScheduledTokens);
      expect(total).toBeLessThanOrEqual(16);
      expect(total).toBeGreaterThan(0);
      expect(output.scheduled.length).toBeLessThanOrEqual(3);
      expect(scheduler.running.length).toBeLessThanOrEqual(3);
      expect(new Set(output.scheduled.map((e) => e.seq.id)).size).toBe(output.scheduled.length);
      steps++;
    }
    expect(steps).toBeGreaterThan(5);
    expect(scheduler.blockManager.numFreeBlocks).toBe(40);
  });

  test("chunked prefill splits a long prompt while the running decode continues every step", () => {
    const { scheduler, runner } = makeScheduler({ maxNumBatchedTokens: 8 });
    const a = seq(1, 4, 20);
    scheduler.add(a);
    step(scheduler, runner);
    const b = seq(2, 30, 2);
    scheduler.add(b);
    const chunks: number[] = [];
    while (!b.isPrefillDone || b.numOutputTokens === 0) {
      const output = step(scheduler, runner);
      expect(entryOf(output, 1)).toMatchObject({ numNewTokens: 1, isPrefill: false });
      const e = entryOf(output, 2)!;
      expect(e.isPrefill).toBe(true);
      expect(e.emitsToken).toBe(e.numComputedTokens + e.numNewTokens === 30);
      chunks.push(e.numNewTokens);
    }
    expect(chunks).toEqual([7, 7, 7, 7, 2]);
    expect(b.numOutputTokens).toBe(1);
    expect(a.numOutputTokens).toBe(6);
  });

  test("a partial prefill is continued before new requests are admitted", () => {
    const { scheduler, runner } = makeScheduler({ maxNumBatchedTokens: 10 });
    scheduler.add(seq(1, 25, 1));
    scheduler.add(seq(2, 5, 1));
    expect(step(scheduler, runner).scheduled.map((e) => [e.seq.id, e.numNewTokens])).toEqual([[1, 10]]);
    expect(step(scheduler, runner).scheduled.map((e) => [e.seq.id, e.numNewTokens])).toEqual([[1, 10]]);
    expect(step(scheduler, runner).scheduled.map((e) => [e.seq.id, e.numNewTokens])).toEqual([[1, 5], [2, 5]]);
  });

  test("longPrefillTokenThreshold caps each prefill chunk", () => {
    const { scheduler, runner } = makeScheduler({ maxNumBatchedTokens: 64, longPrefillTokenThreshold: 5 });
    scheduler.add(seq(1, 12, 1));
    scheduler.add(seq(2, 3, 1));
    const first = step(scheduler, runner);
    expect(first.scheduled.map((e) => e.numNewTokens)).toEqual([5, 3]);
    expect(step(scheduler, runner).scheduled.map((e) => e.numNewTokens)).toEqual([5]);
    expect(step(scheduler, runner).scheduled.map((e) => e.numNewTokens)).toEqual([2]);
  });

  test("every running decode is scheduled every step", () => {
    const { scheduler, runner } = makeScheduler({ maxNumBatchedTokens: 8, maxNumSeqs: 8, numBlocks: 200 });
    for (let id = 1; id <= 8; id++) scheduler.add(seq(id, 1 + id * 3, 6));
    while (scheduler.hasUnfinished()) {
      const decoding = scheduler.running.filter((s) => s.isPrefillDone).map((s) => s.id);
      const output = step(scheduler, runner);
      for (const id of decoding) expect(entryOf(output, id)).toMatchObject({ numNewTokens: 1 });
    }
  });

  test("maxNumSeqs limits admission", () => {
    const { scheduler, runner } = makeScheduler({ maxNumSeqs: 2 });
    for (let id = 1; id <= 4; id++) scheduler.add(seq(id, 3, 5));
    const output = step(scheduler, runner);
    expect(output.scheduled.map((e) => e.seq.id)).toEqual([1, 2]);
    expect(scheduler.waiting.map((s) => s.id)).toEqual([3, 4]);
  });

  test("FCFS: a waiting request that does not fit blocks the ones behind it", () => {
    const { scheduler, runner } = makeScheduler({ numBlocks: 6 });
    scheduler.add(seq(1, 12, 8));
    step(scheduler, runner);
    scheduler.add(seq(2, 12, 1));
    scheduler.add(seq(3, 2, 1));
    const output = step(scheduler, runner);
    expect(output.scheduled.map((e) => e.seq.id)).toEqual([1]);
    expect(scheduler.waiting.map((s) => s.id)).toEqual([2, 3]);
  });
});

describe("Scheduler partial prefills (--prefill-batch-size)", () => {
  test("at most maxNumPartialPrefills prompts get a chunk per step; decodes are not limited; outputs match the reference", () => {
    const { scheduler, runner } = makeScheduler({ maxNumPartialPrefills: 2 });
    const seqs = [1, 2, 3, 4, 5].map((id) => seq(id, 6, 3));
    for (const s of seqs) scheduler.add(s);
    const first = step(scheduler, runner);
    expect(first.scheduled.map((e) => e.seq.id)).toEqual([1, 2]);
    const second = step(scheduler, runner);
    expect(second.scheduled.filter((e) => e.isPrefill).map((e) => e.seq.id)).toEqual([3, 4]);
    expect(second.scheduled.filter((e) => !e.isPrefill).map((e) => e.seq.id)).toEqual([1, 2]);
    while (scheduler.hasUnfinished()) step(scheduler, runner);
    for (const s of seqs) {
      const context = [...s.promptTokenIds];
      for (let i = 0; i < 3; i++) context.push(referenceNextToken(context));
      expect(s.outputTokenIds).toEqual(context.slice(6));
    }
  });
});

describe("Scheduler admission errors", () => {
  test("a request needing more blocks than the pool is rejected with RequestTooLargeError", () => {
    const { scheduler } = makeScheduler({ numBlocks: 4 });
    let error: unknown;
    try {
      scheduler.add(seq(1, 14, 4));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RequestTooLargeError);
    expect(error).toMatchObject({ seqId: 1, numTokens: 17, numBlocksNeeded: 5, numBlocks: 4 });
    expect(scheduler.hasUnfinished()).toBe(false);
    scheduler.add(seq(2, 14, 3));
    expect(scheduler.waiting.length).toBe(1);
  });

  test("duplicate ids, empty prompts and bad maxTokens are InvalidRequestError", () => {
    const { scheduler } = makeScheduler();
    scheduler.add(seq(1, 3));
    expect(() => scheduler.add(seq(1, 3))).toThrow(InvalidRequestError);
    expect(() => scheduler.add(new Sequence({ id: 2, promptTokenIds: [], maxTokens: 1 }))).toThrow(InvalidRequestError);
    expect(() => scheduler.add(new Sequence({ id: 3, promptTokenIds: [1], maxTokens: 0 }))).toThrow(InvalidRequestError);
  });
});
