import { describe, expect, test } from "bun:test";
import { GREEDY } from "../sampling/params.ts";
import { tinyModel } from "../runner/testing.ts";
import { EngineCore } from "./engine-core.ts";
import { expectSameTokens, solo } from "./testing.ts";
import { decodeBucketSizes } from "./warmup.ts";

describe("warm-up", () => {
  test("the padded decode sizes up to maxNumSeqs", () => {
    expect(decodeBucketSizes(64)).toEqual([1, 2, 4, 8, 16, 24, 32, 40, 48, 56, 64]);
    expect(decodeBucketSizes(6)).toEqual([1, 2, 4, 8]);
    expect(decodeBucketSizes(1)).toEqual([1]);
  });

  test("a warmed core leaves no trace: its requests give the solo tokens (near-tie rule); warm-up after a request is refused", async () => {
    const model = await tinyModel("llama", { seed: 3 });
    const core = new EngineCore(model, { maxModelLen: 128, numGpuBlocks: 32, maxNumSeqs: 6, padSteps: true });
    expect(core.warmup()).toEqual([1, 2, 4, 8]);
    expect(core.stats()).toMatchObject({ running: 0, usedBlocks: 0, prefixCacheQueries: 0 });
    const prompts = [[5, 6, 7], [9, 10, 11, 12, 13]];
    prompts.forEach((ids, r) => core.addRequest({ requestId: `r${r}`, promptTokenIds: ids, sampling: GREEDY, maxTokens: 6, stopTokenIds: new Set() }));
    expect(() => core.warmup()).toThrow(/before the first request/);
    const got = new Map<string, number[]>();
    while (core.hasUnfinished()) for (const t of core.step()) got.set(t.requestId, [...(got.get(t.requestId) ?? []), t.token]);
    prompts.forEach((ids, r) => expect(expectSameTokens(got.get(`r${r}`)!, solo(model, ids, 6), `r${r}`)).toBe(0));
    core.dispose();
  });
});
