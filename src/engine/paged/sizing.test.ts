import { describe, expect, test } from "bun:test";
import { bytesPerBlock } from "./kv-pool.ts";
import { KvCacheTooSmallError, planNumBlocks } from "./sizing.ts";

const base = { numLayers: 2, blockSize: 16, numKvHeads: 2, headDim: 16, dtype: "float32" as const };
const perBlock = bytesPerBlock(base); // 8 KiB

describe("planNumBlocks", () => {
  test("bytes per block count keys and values of every layer", () => {
    expect(perBlock).toBe(2 * 2 * 16 * 2 * 16 * 4);
  });

  test("numGpuBlocks is taken as given, but must hold one max-length sequence", () => {
    const opts = { gpuMemoryUtilization: 0.5, maxModelLen: 256, maxNumSeqs: 4, usedBytes: 0 };
    expect(planNumBlocks(base, { ...opts, numGpuBlocks: 100 })).toBe(100);
    expect(() => planNumBlocks(base, { ...opts, numGpuBlocks: 15 })).toThrow(KvCacheTooSmallError);
  });

  test("sized from the memory budget minus the weights, capped at maxNumSeqs full sequences", () => {
    const opts = { gpuMemoryUtilization: 0.5, maxModelLen: 256, maxNumSeqs: 1000, usedBytes: 1 << 20 };
    const budget = 2 * ((1 << 20) + 50 * perBlock);
    expect(planNumBlocks(base, { ...opts, budgetBytes: budget })).toBe(50);
    expect(planNumBlocks(base, { ...opts, maxNumSeqs: 2, budgetBytes: 1 << 30 })).toBe(32);
  });

  test("a budget too small for one max-length sequence is a clear error", () => {
    const opts = { gpuMemoryUtilization: 0.5, maxModelLen: 4096, maxNumSeqs: 4, usedBytes: 1 << 20 };
    expect(() => planNumBlocks(base, { ...opts, budgetBytes: 4 << 20 })).toThrow(/one max-length sequence needs 256/);
  });
});
