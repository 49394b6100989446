import { describe, expect, test } from "bun:test";
import type { Scheduler } from "./scheduler.ts";
import { PLACEHOLDER_TOKEN, Sequence } from "./sequence.ts";
import { makeScheduler, referenceNextToken, runToCompletion, type SimKvRunner, TEST_BLOCK_SIZE, tokenRange } from "./testing.ts";

const BS = TEST_BLOCK_SIZE;
const range = tokenRange;

function seq(id: number, prompt: number[] | number, maxTokens = 4, stopTokenIds?: ReadonlySet<number>) {
  const promptTokenIds = typeof prompt === "number" ? range(id * 1000, prompt) : prompt;
  return new Sequence({ id, promptTokenIds, maxTokens, arrivalTime: id, ...(stopTokenIds ? { stopTokenIds } : {}) });
}

function step(scheduler: Scheduler, runner: SimKvRunner) {
  const output = scheduler.schedule();
  scheduler.updateFromOutput(output, runner.run(output));
  return output;
}

/** Outputs the fake model gives one request run alone, without any KV cache. */
function reference(prompt: readonly number[], maxTokens: number, stop?: (t: number) => boolean) {
  const tokens = [...prompt];
  const out: number[] = [];
  while (out.length < maxTokens) {
    const t = referenceNextToken(tokens);
    tokens.push(t);
    out.push(t);
    if (stop?.(t)) break;
  }
  return out;
}

describe("Scheduler abort", () => {
  test("abort in every state frees every block", () => {
    const { scheduler, runner } = makeScheduler({ numBlocks: 12, maxNumBatchedTokens: 8 });
    const decoding = seq(1, 5, 30);
    scheduler.add(decoding);
    step(scheduler, runner);
    const prefilling = seq(2, 20, 4);
    const waiting = seq(3, 30, 4);
    scheduler.add(prefilling);
    scheduler.add(waiting);
    step(scheduler, runner);
    expect(prefilling.numComputedTokens).toBeGreaterThan(0);
    expect(prefilling.isPrefillDone).toBe(false);
    expect(waiting.status).toBe("waiting");
    expect(scheduler.abort(prefilling.id)).toBe(true);
    expect(scheduler.abort(waiting.id)).toBe(true);
    expect(scheduler.abort(decoding.id)).toBe(true);
    for (const s of [decoding, prefilling, waiting]) {
      expect(s.status).toBe("finished");
      expect(s.finishReason).toBe("abort");
      expect(s.blockTable).toEqual([]);
    }
    expect(scheduler.hasUnfinished()).toBe(false);
    expect(scheduler.blockManager.numFreeBlocks).toBe(12);
    expect(scheduler.abort(decoding.id)).toBe(false);
  });

  test("abort of a preempted sequence", () => {
    const { scheduler, runner } = makeScheduler({ numBlocks: 4 });
    const a = seq(1, 6, 8);
    const b = seq(2, 6, 8);
    scheduler.add(a);
    scheduler.add(b);
    while (b.status !== "preempted") step(scheduler, runner);
    expect(scheduler.waiting[0]).toBe(b);
    scheduler.abort(b.id);
    expect(scheduler.waiting.length).toBe(0);
    scheduler.abort(a.id);
    expect(scheduler.blockManager.numFreeBlocks).toBe(4);
  });

  test("a sequence aborted between schedule and updateFromOutput is skipped (its placeholder is never settled)", () => {
    const { scheduler, runner } = makeScheduler();
    const a = seq(1, 5, 3);
    const b = seq(2, 5, 3);
    scheduler.add(a);
    scheduler.add(b);
    const output = scheduler.schedule();
    const tokens = runner.run(output);
    scheduler.abort(a.id);
    scheduler.updateFromOutput(output, tokens);
    expect(a.outputTokenIds).toEqual([PLACEHOLDER_TOKEN]);
    expect(b.outputTokenIds).toEqual([tokens[1]!]);
    runToCompletion(scheduler, runner);
    expect(scheduler.blockManager.numFreeBlocks).toBe(64);
  });
});

describe("Scheduler preemption", () => {
  test("the most recently arrived running sequence is preempted, keeps its outputs and goes first in line", () => {
    const { scheduler, runner } = makeScheduler({ numBlocks: 4 });
    const a = seq(1, 6, 8);
    const b = seq(2, 6, 8);
    const c = seq(3, 2, 2);
    scheduler.add(a);
    scheduler.add(b);
    step(scheduler, runner);
    scheduler.add(c);
    let output = step(scheduler, runner);
    while (output.preempted.length === 0) output = step(scheduler, runner);
    expect(output.preempted).toEqual([b]);
    expect(output.scheduled.map((e) => e.seq.id)).toEqual([1]);
    expect(b.status).toBe("preempted");
    expect(b.numComputedTokens).toBe(0);
    expect(b.blockTable).toEqual([]);
    expect(b.numOutputTokens).toBeGreaterThan(0);
    expect(b.numPreemptions).toBe(1);
    expect(scheduler.waiting.map((s) => s.id)).toEqual([2, 3]);
    expect(scheduler.stats().numPreemptions).toBe(1);
  });

  test("a resumed sequence recomputes prompt and outputs as one prefill", () => {
    const { scheduler, runner } = makeScheduler({ numBlocks: 4, enablePrefixCaching: false });
    const a = seq(1, 6, 8);
    const b = seq(2, 6, 8);
    scheduler.add(a);
    scheduler.add(b);
    while (b.status !== "preempted") step(scheduler, runner);
    const kept = [...b.outputTokenIds];
    let output = scheduler.schedule();
    while (!output.scheduled.some((e) => e.seq === b)) {
      scheduler.updateFromOutput(output, runner.run(output));
      output = scheduler.schedule();
    }
    expect(output.scheduled.find((e) => e.seq === b)).toMatchObject({
      numComputedTokens: 0,
      numNewTokens: 6 + kept.length,
      isPrefill: true,
      emitsToken: true,
    });
    scheduler.updateFromOutput(output, runner.run(output));
    expect(b.outputTokenIds.slice(0, kept.length)).toEqual(kept);
    expect(b.outputTokenIds.length).toBe(kept.length + 1);
    runToCompletion(scheduler, runner);
    expect(b.outputTokenIds).toEqual(reference(range(2000, 6), 8));
  });

  test("a preempting step admits nothing new", () => {
    const { scheduler, runner } = makeScheduler({ numBlocks: 4 });
    scheduler.add(seq(1, 6, 8));
    scheduler.add(seq(2, 6, 8));
    let output = step(scheduler, runner);
    while (output.preempted.length === 0) output = step(scheduler, runner);
    expect(output.scheduled.every((e) => !e.isPrefill)).toBe(true);
  });

  test.each([
    ["prefix caching", true],
    ["no prefix caching", false],
  ])("outputs with a tiny pool equal a huge pool and the reference (%s)", (_, enablePrefixCaching) => {
    // Every multiple of 97 in the fake model's vocabulary is a stop token.
    const stop = new Set(range(0, 11).map((k) => 97 * k));
    const shared = range(7000, 9);
    const prompts = Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? [...shared, ...range(i * 50, i % 7)] : range(i * 50, 3 + ((i * 5) % 13))));
    const outputs = (numBlocks: number, budget: number) => {
      const { scheduler } = makeScheduler({ numBlocks, maxNumBatchedTokens: budget, enablePrefixCaching });
      const seqs = prompts.map((p, i) => seq(i + 1, p, 20, stop));
      for (const s of seqs) scheduler.add(s);
      runToCompletion(scheduler);
      expect(scheduler.blockManager.numFreeBlocks).toBe(numBlocks);
      return { seqs, stats: scheduler.stats() };
    };
    const tiny = outputs(10, 8);
    const huge = outputs(1000, 512);
    expect(tiny.stats.numPreemptions).toBeGreaterThan(0);
    expect(huge.stats.numPreemptions).toBe(0);
    prompts.forEach((p, i) => {
      const expected = reference(p, 20, (t) => t % 97 === 0);
      expect(tiny.seqs[i]!.outputTokenIds).toEqual(expected);
      expect(huge.seqs[i]!.outputTokenIds).toEqual(expected);
      expect(tiny.seqs[i]!.finishReason).toBe(expected.at(-1)! % 97 === 0 ? "stop" : "length");
    });
    if (enablePrefixCaching) expect(huge.stats.prefixCache.hits).toBeGreaterThan(0);
  });
});

describe("Scheduler prefix caching", () => {
  test("a later request with the same two-block prefix skips those blocks", () => {
    const { scheduler, runner } = makeScheduler();
    const prefix = range(500, 2 * BS);
    const a = seq(1, [...prefix, 1, 2, 3], 3);
    scheduler.add(a);
    step(scheduler, runner);
    const b = seq(2, [...prefix, 9], 3);
    const c = seq(3, range(800, 9), 3);
    scheduler.add(b);
    scheduler.add(c);
    const output = step(scheduler, runner);
    expect(b.numCachedTokens).toBe(2 * BS);
    expect(c.numCachedTokens).toBe(0);
    expect(output.scheduled.find((e) => e.seq === b)).toMatchObject({ numComputedTokens: 8, numNewTokens: 1 });
    runToCompletion(scheduler, runner);
    expect(b.outputTokenIds).toEqual(reference([...prefix, 9], 3));
    expect(scheduler.stats().prefixCache).toEqual({ queries: 11 + 9 + 9, hits: 8, requests: 3, requestHits: 1, mmHits: 0, evictions: 0 });
  });

  test("an identical prompt recomputes its last token alone, as a prefill, and matches the reference", () => {
    const { scheduler, runner } = makeScheduler();
    scheduler.add(seq(1, range(0, 8), 2));
    runToCompletion(scheduler, runner);
    const again = seq(2, range(0, 8), 2);
    scheduler.add(again);
    const output = step(scheduler, runner); // the runner throws on a write into the shared last block
    expect(again.numCachedTokens).toBe(2 * BS);
    expect(output.scheduled).toEqual([{ seq: again, numComputedTokens: 7, numNewTokens: 1, isPrefill: true, emitsToken: true }]);
    runToCompletion(scheduler, runner);
    expect(again.outputTokenIds).toEqual(reference(range(0, 8), 2));
  });
});
