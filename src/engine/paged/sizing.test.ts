import { describe, expect, test } from "bun:test";
import { bytesPerBlock } from "./kv-pool.ts";
import { INITIAL_POOL_BYTES, KvCacheTooSmallError, planKvPool } from "./sizing.ts";

const base = { numLayers: 2, blockSize: 16, numKvHeads: 2, headDim: 16, dtype: "float32" as const };
const perBlock = bytesPerBlock(base); // 8 KiB
const GIB = 2 ** 30;

describe("planKvPool", () => {
  test("bytes per block count keys and values of every layer", () => {
    expect(perBlock).toBe(2 * 2 * 16 * 2 * 16 * 4);
  });

  test("--max-cache-blocks is the budget as given, but must hold one max-length sequence", () => {
    const opts = { gpuMemoryUtilization: 0.5, maxModelLen: 256, maxNumSeqs: 4, freeBytes: 0 };
    expect(planKvPool(base, { ...opts, numGpuBlocks: 100 }).numBlocks).toBe(100);
    expect(() => planKvPool(base, { ...opts, numGpuBlocks: 15 })).toThrow(/raise --max-cache-blocks or lower --max-model-len/);
  });

  test("--kv-cache-memory sets the budget in bytes", () => {
    const opts = { gpuMemoryUtilization: 0.5, maxModelLen: 256, maxNumSeqs: 4, freeBytes: 0 };
    expect(planKvPool(base, { ...opts, kvCacheMemoryBytes: 100 * perBlock + 5 }).numBlocks).toBe(100);
    expect(() => planKvPool(base, { ...opts, kvCacheMemoryBytes: 15 * perBlock })).toThrow(
      new RegExp(`raise --kv-cache-memory to at least ${16 * perBlock}`),
    );
  });

  test("by default: what maxNumSeqs sequences of maxModelLen can use, capped at a share of the free memory", () => {
    const opts = { gpuMemoryUtilization: 0.5, maxModelLen: 256, maxNumSeqs: 1000, freeBytes: 100 * perBlock };
    expect(planKvPool(base, opts).numBlocks).toBe(50); // half of 100 free blocks
    expect(planKvPool(base, { ...opts, maxNumSeqs: 2, freeBytes: GIB }).numBlocks).toBe(32); // 2 x 256 tokens
  });

  test("a budget too small for one max-length sequence names the flags to change", () => {
    const opts = { gpuMemoryUtilization: 0.5, maxModelLen: 4096, maxNumSeqs: 4, freeBytes: 2 << 20 };
    expect(() => planKvPool(base, opts)).toThrow(KvCacheTooSmallError);
    expect(() => planKvPool(base, opts)).toThrow(
      /one max-length sequence needs 256: 0.5 \(--gpu-memory-utilization\) of 0.00 GiB free memory holds 128 blocks/,
    );
    expect(() => planKvPool(base, opts)).toThrow(/raise --gpu-memory-utilization, set --kv-cache-memory/);
  });

  test("the pool starts small: the initial bytes, never more than the budget", () => {
    const opts = { gpuMemoryUtilization: 0.5, maxModelLen: 256, maxNumSeqs: 1000, freeBytes: 64 * GIB };
    const plan = planKvPool(base, opts);
    expect(plan.initialBlocks).toBe(INITIAL_POOL_BYTES / perBlock);
    expect(plan.numBlocks).toBe(16 * 1000);
    expect(planKvPool(base, { ...opts, initialBytes: 3 * perBlock }).initialBlocks).toBe(3);
    expect(planKvPool(base, { ...opts, numGpuBlocks: 20 }).initialBlocks).toBe(20);
  });
});
