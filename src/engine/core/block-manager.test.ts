import { describe, expect, test } from "bun:test";
import { BlockManager } from "./block-manager.ts";
import { NoFreeBlocksError, InvalidRequestError } from "./errors.ts";
import { hashBlockTokens } from "./hashing.ts";
import { prefillBlocks as prefill, promptSequence as seqOf, tokenRange as range } from "./testing.ts";

const BS = 4;

describe("BlockManager allocation", () => {
  test("allocate gives one block per blockSize tokens and free returns them", () => {
    const bm = new BlockManager(8, BS);
    const seq = seqOf(range(0, 9));
    expect(bm.canAllocate(seq)).toBe(true);
    bm.allocate(seq);
    expect(seq.blockTable).toEqual([0, 1, 2]);
    expect(seq.numCachedTokens).toBe(0);
    expect(seq.numComputedTokens).toBe(0);
    expect(bm.numFreeBlocks).toBe(5);
    expect(bm.usage()).toBeCloseTo(3 / 8);
    expect(seq.blockTable.map((id) => bm.refCount(id))).toEqual([1, 1, 1]);
    bm.free(seq);
    expect(seq.blockTable).toEqual([]);
    expect(bm.numFreeBlocks).toBe(8);
    expect(bm.usage()).toBe(0);
  });

  test("canAllocate is false when the pool is short, and allocate then throws", () => {
    const bm = new BlockManager(2, BS);
    const seq = seqOf(range(0, 9));
    expect(bm.canAllocate(seq)).toBe(false);
    expect(() => bm.allocate(seq)).toThrow(NoFreeBlocksError);
    expect(bm.numFreeBlocks).toBe(2);
  });

  test("allocating a sequence twice is rejected", () => {
    const bm = new BlockManager(8, BS);
    const seq = seqOf(range(0, 3));
    bm.allocate(seq);
    expect(() => bm.allocate(seq)).toThrow(InvalidRequestError);
  });
});

describe("BlockManager appends", () => {
  test("mayAppend adds a block only when crossing a block boundary", () => {
    const bm = new BlockManager(8, BS);
    const seq = prefill(bm, range(0, 4));
    seq.appendToken(100);
    expect(bm.canAppend(seq)).toBe(true);
    bm.mayAppend(seq);
    expect(seq.blockTable.length).toBe(2);
    seq.numComputedTokens = 5;
    seq.appendToken(101);
    bm.mayAppend(seq);
    expect(seq.blockTable.length).toBe(2);
  });

  test("canAppend is false with no free block at a boundary", () => {
    const bm = new BlockManager(1, BS);
    const seq = prefill(bm, range(0, 4));
    seq.appendToken(100);
    expect(bm.canAppend(seq)).toBe(false);
    expect(() => bm.mayAppend(seq)).toThrow(NoFreeBlocksError);
  });

  test("a block is cached once full and computed, never while partial", () => {
    const bm = new BlockManager(8, BS);
    const seq = seqOf(range(0, 3));
    bm.allocate(seq);
    seq.numComputedTokens = 3;
    bm.cacheBlocks(seq);
    expect(bm.isCached(seq.blockTable[0]!)).toBe(false);
    seq.appendToken(50);
    seq.numComputedTokens = 4;
    bm.cacheBlocks(seq);
    expect(bm.isCached(seq.blockTable[0]!)).toBe(true);
  });
});

describe("BlockManager prefix caching", () => {
  test("same two-block prefix hits 2 * blockSize tokens and shares the blocks", () => {
    const bm = new BlockManager(16, BS);
    const a = prefill(bm, [...range(0, 8), 90, 91]);
    const b = seqOf([...range(0, 8), 70]);
    bm.allocate(b);
    expect(b.numCachedTokens).toBe(2 * BS);
    expect(b.numComputedTokens).toBe(2 * BS);
    expect(b.blockTable.slice(0, 2)).toEqual(a.blockTable.slice(0, 2));
    expect(bm.refCount(a.blockTable[0]!)).toBe(2);
    expect(b.blockTable[2]).not.toBe(a.blockTable[2]);
  });

  test.each([
    ["a different prompt gets no hit", range(1, 9), 0],
    ["a prefix differing in the second block hits only the first", [...range(0, 4), 99, 5, 6, 7, 8], BS],
  ])("%s", (_, prompt, cached) => {
    const bm = new BlockManager(16, BS);
    prefill(bm, range(0, 9));
    const b = seqOf(prompt);
    bm.allocate(b);
    expect(b.numCachedTokens).toBe(cached);
  });

  test("blocks not yet computed are not hit", () => {
    const bm = new BlockManager(16, BS);
    const a = seqOf(range(0, 9));
    bm.allocate(a);
    const b = seqOf(range(0, 9));
    bm.allocate(b);
    expect(b.numCachedTokens).toBe(0);
  });

  test("a fully cached prompt still computes its last token, alone, in its cached block", () => {
    const bm = new BlockManager(16, BS);
    const first = prefill(bm, range(0, 12));
    const free = bm.numFreeBlocks;
    const exact = seqOf(range(0, 8));
    bm.allocate(exact);
    expect(exact.numCachedTokens).toBe(2 * BS);
    expect(exact.numTokens - exact.numComputedTokens).toBe(1);
    expect(exact.blockTable).toEqual(first.blockTable.slice(0, 2)); // shared: the last token's KV is not written
    expect(bm.numFreeBlocks).toBe(free);
    const onePast = seqOf(range(0, 9));
    bm.allocate(onePast);
    expect(onePast.numCachedTokens).toBe(2 * BS);
    expect(onePast.numTokens - onePast.numComputedTokens).toBe(1);
  });

  test("a colliding hash is rejected by the token check", () => {
    const bm = new BlockManager(16, BS, { hasher: () => 1n });
    prefill(bm, range(0, 5));
    const other = seqOf(range(10, 5));
    bm.allocate(other);
    expect(other.numCachedTokens).toBe(0);
    const same = seqOf(range(0, 5));
    bm.allocate(same);
    expect(same.numCachedTokens).toBe(BS);
  });

  test("equal tokens under a different parent are rejected even if the hash ignores the parent", () => {
    const bm = new BlockManager(16, BS, { hasher: (_parent, tokens) => hashBlockTokens(null, tokens) });
    prefill(bm, [...range(0, 4), ...range(20, 4), 1]);
    const b = seqOf([...range(20, 4), ...range(20, 4), 1]);
    bm.allocate(b);
    expect(b.numCachedTokens).toBe(0);
    const c = seqOf([...range(0, 4), ...range(20, 4), 2]);
    bm.allocate(c);
    expect(c.numCachedTokens).toBe(2 * BS);
  });

  test("a hit revives a freed cached block without taking a new one", () => {
    const bm = new BlockManager(4, BS);
    const a = prefill(bm, range(0, 9));
    const blocks = [...a.blockTable];
    bm.free(a);
    expect(bm.numFreeBlocks).toBe(4);
    const b = seqOf(range(0, 9));
    expect(bm.canAllocate(b)).toBe(true);
    bm.allocate(b);
    expect(b.blockTable.slice(0, 2)).toEqual(blocks.slice(0, 2));
    expect(bm.numFreeBlocks).toBe(1);
    expect(bm.freeBlockIds()).not.toContain(blocks[0]!);
  });

  test("revived blocks count against the free pool in canAllocate", () => {
    const bm = new BlockManager(3, BS);
    const a = prefill(bm, range(0, 9));
    bm.free(a);
    const b = seqOf(range(0, 12));
    expect(bm.canAllocate(b)).toBe(true);
    const c = seqOf(range(0, 13));
    expect(bm.canAllocate(c)).toBe(false);
  });

  test("freed cached blocks are evicted least recently freed first, a sequence's tail before its head", () => {
    const bm = new BlockManager(6, BS);
    const a = prefill(bm, range(0, 8));
    const b = prefill(bm, range(100, 8));
    const [a0, a1] = a.blockTable as [number, number];
    const [b0, b1] = b.blockTable as [number, number];
    bm.free(a);
    bm.free(b);
    const uncached = bm.freeBlockIds().slice(0, 2);
    expect(bm.freeBlockIds()).toEqual([...uncached, a1, a0, b1, b0]);
    const c = seqOf(range(200, 16));
    bm.allocate(c);
    expect(c.blockTable).toEqual([...uncached, a1, a0]);
    expect(bm.isCached(a0)).toBe(false);
    expect(bm.isCached(b0)).toBe(true);
    bm.free(c);
    const again = seqOf(range(100, 8));
    bm.allocate(again);
    expect(again.numCachedTokens).toBe(2 * BS);
  });

  test("uncached freed blocks are reused before cached ones", () => {
    const bm = new BlockManager(4, BS);
    const cached = prefill(bm, range(0, 4));
    const plain = seqOf(range(50, 3));
    bm.allocate(plain);
    const [cachedBlock, plainBlock] = [cached.blockTable[0]!, plain.blockTable[0]!];
    bm.free(cached);
    bm.free(plain);
    expect(bm.freeBlockIds()[0]).toBe(plainBlock);
    expect(bm.freeBlockIds().at(-1)).toBe(cachedBlock);
    const next = seqOf(range(60, 8));
    bm.allocate(next);
    expect(next.blockTable).not.toContain(cachedBlock);
    const hit = seqOf(range(0, 5));
    bm.allocate(hit);
    expect(hit.numCachedTokens).toBe(BS);
    expect(hit.blockTable[0]).toBe(cachedBlock);
  });

  test("stats count queried and hit tokens", () => {
    const bm = new BlockManager(16, BS);
    prefill(bm, range(0, 9));
    bm.allocate(seqOf(range(0, 9)));
    expect(bm.prefixCacheStats).toEqual({ queries: 18, hits: 8, requests: 2, requestHits: 1, mmHits: 0, evictions: 0 });
  });

  test("disabled prefix caching never hits", () => {
    const bm = new BlockManager(16, BS, { enablePrefixCaching: false });
    prefill(bm, range(0, 9));
    const b = seqOf(range(0, 9));
    bm.allocate(b);
    expect(b.numCachedTokens).toBe(0);
    expect(bm.prefixCacheStats).toEqual({ queries: 0, hits: 0, requests: 0, requestHits: 0, mmHits: 0, evictions: 0 });
  });
});
