import { describe, expect, test } from "bun:test";
import { createSchedulerConfig } from "./config.ts";
import { Scheduler } from "./scheduler.ts";
import type { SchedulerOutput } from "./scheduler-output.ts";
import { PLACEHOLDER_TOKEN, Sequence } from "./sequence.ts";
import { referenceNextToken, SimKvRunner } from "./testing.ts";

/** Small deterministic PRNG (mulberry32) so a failing seed can be replayed. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
}

function referenceContinuation(tokens: readonly number[], count: number): number[] {
  const context = [...tokens];
  for (let i = 0; i < count; i++) context.push(referenceNextToken(context));
  return context.slice(tokens.length);
}

describe("Scheduler under random load", () => {
  test.each([1, 2, 3, 4, 5, 6])("seed %i: adds, aborts and shared prompts, with steps scheduled ahead or not, keep outputs exact and return every block", (seed) => {
    const rand = prng(seed);
    const config = createSchedulerConfig({
      numBlocks: 12 + rand(20),
      blockSize: 2 + rand(4),
      maxNumSeqs: 2 + rand(6),
      maxNumBatchedTokens: 8 + rand(24),
      enablePrefixCaching: rand(4) !== 0,
      ...(rand(2) === 0 ? { longPrefillTokenThreshold: 3 + rand(8) } : {}),
      ...(rand(2) === 0 ? { initialBlocks: 1 + rand(4) } : {}), // a pool that grows on demand
    });
    const scheduler = new Scheduler(config);
    const runner = new SimKvRunner(scheduler.blockManager);
    const prefixes = [Array.from({ length: 9 }, (_, i) => 900 + i), Array.from({ length: 5 }, (_, i) => 950 + i)];
    const all: { seq: Sequence; aborted: boolean }[] = [];
    // Half the seeds schedule each step before the previous one's tokens are read, as the engine's async scheduling.
    const ahead = seed % 2 === 0;
    let inFlight: { output: SchedulerOutput; tokens: number[] } | null = null;
    let nextId = 1;
    for (let stepIndex = 0; stepIndex < 400 && (stepIndex < 60 || scheduler.hasUnfinished()); stepIndex++) {
      if (stepIndex < 60 && rand(3) === 0) {
        const prefix = rand(2) === 0 ? (prefixes[rand(2)] ?? []) : [];
        const prompt = [...prefix, ...Array.from({ length: 1 + rand(10) }, () => rand(800))];
        const seq = new Sequence({ id: nextId++, promptTokenIds: prompt, maxTokens: 1 + rand(12), arrivalTime: stepIndex });
        try {
          scheduler.add(seq);
          all.push({ seq, aborted: false });
        } catch {
          expect(Math.ceil((prompt.length + seq.maxTokens - 1) / config.blockSize)).toBeGreaterThan(config.numBlocks);
        }
      }
      if (rand(10) === 0 && all.length > 0) {
        const victim = all[rand(all.length)]!;
        if (scheduler.abort(victim.seq.id)) victim.aborted = true;
      }
      const running = scheduler.running[rand(Math.max(1, scheduler.running.length))];
      if (stepIndex < 60 && rand(8) === 0 && running) {
        // The same prompt again (as a parent request's choices): it shares the prompt's blocks once they are cached.
        const seq = new Sequence({ id: nextId++, promptTokenIds: running.promptTokenIds, maxTokens: running.maxTokens, arrivalTime: stepIndex });
        scheduler.add(seq);
        all.push({ seq, aborted: false });
      }
      const output = scheduler.schedule();
      expect(output.numScheduledTokens).toBeLessThanOrEqual(config.maxNumBatchedTokens);
      expect(output.scheduled.length).toBeLessThanOrEqual(config.maxNumSeqs);
      if (inFlight) scheduler.updateFromOutput(inFlight.output, inFlight.tokens);
      inFlight = { output, tokens: runner.run(output) };
      if (!ahead) {
        scheduler.updateFromOutput(output, inFlight.tokens);
        inFlight = null;
      }
    }
    if (inFlight) scheduler.updateFromOutput(inFlight.output, inFlight.tokens);
    expect(scheduler.hasUnfinished()).toBe(false);
    expect(scheduler.blockManager.numFreeBlocks).toBe(config.numBlocks);
    for (const { seq, aborted } of all) {
      const generated = seq.outputTokenIds.filter((t) => t !== PLACEHOLDER_TOKEN);
      expect(generated).toEqual(referenceContinuation(seq.promptTokenIds, generated.length));
      if (!aborted) expect(seq.numOutputTokens).toBe(seq.maxTokens);
    }
  });
});
