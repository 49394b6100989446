import { describe, expect, test } from "bun:test";
import { GREEDY } from "../sampling/params.ts";
import { tinyModel } from "../runner/testing.ts";
import { EngineCore } from "./engine-core.ts";
import { expectSameTokens, solo } from "./testing.ts";
import { decodeBucketSizes, kernelWarmContexts } from "./warmup.ts";

describe("warm-up", () => {
  test("the padded decode sizes up to maxNumSeqs", () => {
    expect(decodeBucketSizes(64)).toEqual([1, 2, 4, 8, 16, 24, 32, 40, 48, 56, 64]);
    expect(decodeBucketSizes(6)).toEqual([1, 2, 4, 8]);
    expect(decodeBucketSizes(1)).toEqual([1]);
  });

  test("the attention kernel's long-context variants are warmed up to maxModelLen", () => {
    expect(kernelWarmContexts(512)).toEqual([]);
    expect(kernelWarmContexts(1024)).toEqual([1024]);
    expect(kernelWarmContexts(32768)).toEqual([1024, 2048]);
  });

  test("warming the long contexts (block 0 read 128 times over) leaves no trace", async () => {
    const model = await tinyModel("qwen3", { seed: 4 });
    const core = new EngineCore(model, { maxModelLen: 2048, numGpuBlocks: 136, maxNumSeqs: 2, padSteps: true });
    expect(core.warmup()).toEqual([1, 2]);
    expect(core.stats()).toMatchObject({ running: 0, usedBlocks: 0, prefixCacheQueries: 0 });
    const ids = [3, 1, 4, 1, 5, 9, 2, 6];
    core.addRequest({ requestId: "a", promptTokenIds: ids, sampling: GREEDY, maxTokens: 5, stopTokenIds: new Set() });
    const got: number[] = [];
    while (core.hasUnfinished()) for (const t of core.step()) got.push(t.token);
    expect(expectSameTokens(got, solo(model, ids, 5), "a")).toBe(0);
    core.dispose();
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
