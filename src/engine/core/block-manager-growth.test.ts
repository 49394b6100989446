import { describe, expect, test } from "bun:test";
import { BlockManager } from "./block-manager.ts";
import { InvalidRequestError, NoFreeBlocksError } from "./errors.ts";
import { prefillBlocks as prefill, promptSequence as seqOf, tokenRange as range } from "./testing.ts";

const BS = 4;

describe("BlockManager growth (backed blocks below the budget)", () => {
  test("starts with initialBlocks backed; the unbacked budget still counts as free", () => {
    const bm = new BlockManager(16, BS, { initialBlocks: 2 });
    expect(bm.numBackedBlocks).toBe(2);
    expect(bm.numFreeBlocks).toBe(16);
    expect(bm.numUsedBlocks).toBe(0);
    expect(bm.freeBlockIds()).toEqual([0, 1]);
  });

  test("backed blocks double only when every backed block is taken, ids stay below the backed count", () => {
    const bm = new BlockManager(16, BS, { initialBlocks: 2 });
    const a = seqOf(range(0, 12)); // 3 blocks
    bm.allocate(a);
    expect(a.blockTable).toEqual([0, 1, 2]);
    expect(bm.numBackedBlocks).toBe(4);
    const b = seqOf(range(100, 20)); // 5 blocks: 1 backed left, then 8, then 16
    bm.allocate(b);
    expect(Math.max(...b.blockTable)).toBeLessThan(bm.numBackedBlocks);
    expect(bm.numBackedBlocks).toBe(8);
    expect(bm.numUsedBlocks).toBe(8);
    expect(bm.numFreeBlocks).toBe(8);
  });

  test("growth stops at numBlocks; past it allocation fails as before", () => {
    const bm = new BlockManager(5, BS, { initialBlocks: 2 });
    const a = seqOf(range(0, 20));
    bm.allocate(a);
    expect(bm.numBackedBlocks).toBe(5);
    expect(bm.canAllocate(seqOf([1]))).toBe(false);
    expect(() => bm.allocate(seqOf([1]))).toThrow(NoFreeBlocksError);
  });

  test("cached blocks are evicted before the pool grows", () => {
    const bm = new BlockManager(64, BS, { initialBlocks: 4 });
    const a = prefill(bm, range(0, 16)); // 4 full cached blocks
    bm.free(a);
    expect(bm.numBackedBlocks).toBe(4);
    const b = prefill(bm, range(500, 16)); // a different prompt: evicts a's blocks instead of growing
    expect(bm.numBackedBlocks).toBe(4);
    expect(b.blockTable.every((id) => id < 4)).toBe(true);
    bm.free(b);
    const again = seqOf([...range(0, 16), 9]);
    bm.allocate(again);
    expect(again.numCachedTokens).toBe(0); // a's content is gone
  });

  test("appending grows the pool too", () => {
    const bm = new BlockManager(8, BS, { initialBlocks: 1 });
    const seq = seqOf(range(0, 4));
    bm.allocate(seq);
    seq.numComputedTokens = 4;
    expect(bm.canAppend(seq)).toBe(true);
    bm.mayAppend(seq);
    expect(seq.blockTable).toEqual([0, 1]);
    expect(bm.numBackedBlocks).toBe(2);
  });

  test("shrink refuses while blocks are in use, then keeps only the first blocks and their cached content", () => {
    const bm = new BlockManager(64, BS, { initialBlocks: 2 });
    const a = prefill(bm, range(0, 8)); // blocks 0, 1
    const b = prefill(bm, range(100, 16)); // grows to 8
    expect(bm.numBackedBlocks).toBe(8);
    expect(bm.shrink()).toBeNull();
    bm.free(a);
    bm.free(b);
    expect(bm.shrink()).toBe(2);
    expect(bm.numBackedBlocks).toBe(2);
    expect(bm.numFreeBlocks).toBe(64);
    expect(bm.freeBlockIds().every((id) => id < 2)).toBe(true);
    const hitA = seqOf([...range(0, 8), 7]);
    bm.allocate(hitA);
    expect(hitA.numCachedTokens).toBe(8); // blocks 0 and 1 survived
    bm.free(hitA);
    const missB = seqOf([...range(100, 16), 7]);
    bm.allocate(missB);
    expect(missB.numCachedTokens).toBe(0); // b's blocks were past the kept range
  });

  test("a chain broken by shrink never matches past the break", () => {
    const bm = new BlockManager(64, BS, { initialBlocks: 2 });
    const filler = prefill(bm, range(900, 8)); // takes 0, 1
    const a = prefill(bm, range(0, 12)); // 2, 3 (grown to 4), then 4 (grown to 8)
    expect(a.blockTable).toEqual([2, 3, 4]);
    bm.free(filler);
    bm.free(a);
    expect(bm.shrink(4)).toBe(4); // keeps 2 and 3, drops 4
    const hit = seqOf([...range(0, 12), 1]);
    bm.allocate(hit);
    expect(hit.numCachedTokens).toBe(8);
  });

  test("initialBlocks must lie in [1, numBlocks]", () => {
    expect(() => new BlockManager(4, BS, { initialBlocks: 0 })).toThrow(InvalidRequestError);
    expect(() => new BlockManager(4, BS, { initialBlocks: 5 })).toThrow(InvalidRequestError);
  });
});

describe("BlockManager growth limit (memory pressure)", () => {
  test("a growth limit caps backing; blocks past it count as unavailable until it is raised", () => {
    const bm = new BlockManager(64, BS, { initialBlocks: 2 });
    bm.growthLimit = 4;
    expect(bm.numFreeBlocks).toBe(4);
    expect(bm.growthLimited).toBe(true);
    const a = seqOf(range(0, 16)); // 4 blocks: fits the limit
    bm.allocate(a);
    expect(bm.numBackedBlocks).toBe(4);
    expect(bm.canAllocate(seqOf([1]))).toBe(false);
    bm.growthLimit = 64;
    expect(bm.growthLimited).toBe(false);
    expect(bm.canAllocate(seqOf([1]))).toBe(true);
  });

  test("a limit below the backed count never takes backed blocks away", () => {
    const bm = new BlockManager(64, BS, { initialBlocks: 8 });
    bm.growthLimit = 0;
    expect(bm.numFreeBlocks).toBe(8);
    bm.allocate(seqOf(range(0, 32)));
    expect(bm.numBackedBlocks).toBe(8);
  });
});
