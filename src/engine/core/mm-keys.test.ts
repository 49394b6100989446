import { describe, expect, test } from "bun:test";
import { BlockManager } from "./block-manager.ts";
import { hashBlockTokens } from "./hashing.ts";
import { blockExtraKeys, checkPlaceholders, type MultiModalPlaceholder } from "./mm-keys.ts";
import { Sequence } from "./sequence.ts";

const BS = 4;
const IMG = 99;

/** Text 100.. for `before` tokens, `imageLen` image placeholders hashed `hash`, then `after` text tokens. */
function mmPrompt(hash: string, after: number[], before = 5, imageLen = 6): { tokens: number[]; items: MultiModalPlaceholder[] } {
  const tokens = [...Array.from({ length: before }, (_, i) => 100 + i), ...new Array<number>(imageLen).fill(IMG), ...after];
  return { tokens, items: [{ hash, offset: before, length: imageLen }] };
}

function mmSeq(p: { tokens: number[]; items: MultiModalPlaceholder[] }): Sequence {
  return new Sequence({ promptTokenIds: p.tokens, maxTokens: 4, mmPlaceholders: p.items });
}

/** Allocates, marks the prompt computed and caches its blocks, as a finished prefill does; then frees it. */
function prefillAndFree(bm: BlockManager, seq: Sequence): number[] {
  bm.allocate(seq);
  seq.numComputedTokens = seq.numTokens;
  bm.cacheBlocks(seq);
  const table = seq.blockTable;
  bm.free(seq);
  return table;
}

describe("blockExtraKeys", () => {
  const items = [
    { hash: "a", offset: 3, length: 6 },
    { hash: "b", offset: 9, length: 2 },
    { hash: "c", offset: 20, length: 4 },
  ];
  test("lists every item with a token in the block, in order", () => {
    expect(blockExtraKeys(items, 0, 4)).toEqual(["a"]);
    expect(blockExtraKeys(items, 4, 8)).toEqual(["a"]);
    expect(blockExtraKeys(items, 8, 12)).toEqual(["a", "b"]);
    expect(blockExtraKeys(items, 12, 16)).toBeNull();
    expect(blockExtraKeys(items, 16, 20)).toBeNull();
    expect(blockExtraKeys(items, 20, 24)).toEqual(["c"]);
  });

  test("an item ending exactly at a block's start is not in it", () => {
    expect(blockExtraKeys([{ hash: "a", offset: 0, length: 4 }], 4, 8)).toBeNull();
  });
});

describe("checkPlaceholders", () => {
  test("accepts sorted items inside the prompt", () => {
    expect(checkPlaceholders([{ hash: "a", offset: 0, length: 4 }, { hash: "b", offset: 4, length: 4 }], 8)).toBeNull();
  });
  test("names the first bad item", () => {
    expect(checkPlaceholders([{ hash: "a", offset: 2, length: 7 }], 8)).toBe("multimodal item 0 ends at 9, past the prompt's 8 tokens");
    expect(checkPlaceholders([{ hash: "a", offset: 2, length: 3 }, { hash: "b", offset: 4, length: 1 }], 8)).toBe(
      "multimodal item 1 (offset 4) overlaps or precedes the item before it",
    );
    expect(checkPlaceholders([{ hash: "", offset: 0, length: 1 }], 8)).toBe("multimodal item 0 has no content hash");
    expect(checkPlaceholders([{ hash: "a", offset: 0, length: 0 }], 8)).toBe("multimodal item 0 has offset 0 and length 0");
  });
});

describe("hashBlockTokens with extra keys", () => {
  test("a text block hashes as before; extra keys change the hash and their order matters", () => {
    const plain = hashBlockTokens(5n, [IMG, IMG, IMG, IMG]);
    expect(hashBlockTokens(5n, [IMG, IMG, IMG, IMG], null)).toBe(plain);
    const a = hashBlockTokens(5n, [IMG, IMG, IMG, IMG], ["a"]);
    expect(a).not.toBe(plain);
    expect(hashBlockTokens(5n, [IMG, IMG, IMG, IMG], ["b"])).not.toBe(a);
    expect(hashBlockTokens(5n, [IMG, IMG, IMG, IMG], ["a", "b"])).not.toBe(hashBlockTokens(5n, [IMG, IMG, IMG, IMG], ["b", "a"]));
    expect(hashBlockTokens(5n, [IMG, IMG, IMG, IMG], ["ab"])).not.toBe(hashBlockTokens(5n, [IMG, IMG, IMG, IMG], ["a", "b"]));
  });
});

describe("BlockManager with images and videos", () => {
  // 5 text tokens, 6 image tokens at [5, 11), then text: block 0 is text, blocks 1 and 2 hold the image.
  const tail = [200, 201, 202, 203, 204, 205, 206];

  test("the same image and prompt hits every full block but the last token's", () => {
    const bm = new BlockManager(32, BS);
    const firstTable = prefillAndFree(bm, mmSeq(mmPrompt("img-a", tail)));
    const again = mmSeq(mmPrompt("img-a", tail));
    bm.allocate(again);
    expect(again.numTokens).toBe(18);
    expect(again.numCachedTokens).toBe(16);
    expect(again.blockTable.slice(0, 4)).toEqual(firstTable.slice(0, 4));
    expect(bm.prefixCacheStats).toMatchObject({ requests: 2, requestHits: 1, mmHits: 1, hits: 16 });
  });

  test("the same image with another continuation shares the blocks up to the difference", () => {
    const bm = new BlockManager(32, BS);
    prefillAndFree(bm, mmSeq(mmPrompt("img-a", tail)));
    const other = mmSeq(mmPrompt("img-a", [200, 201, 999, 203, 204, 205, 206]));
    bm.allocate(other);
    // Blocks 0-2 ([0, 12)) are equal; block 3 holds token 999 at position 13.
    expect(other.numCachedTokens).toBe(12);
    expect(bm.prefixCacheStats.mmHits).toBe(1);
  });

  test("a different image misses from the first block holding its tokens", () => {
    const bm = new BlockManager(32, BS);
    prefillAndFree(bm, mmSeq(mmPrompt("img-a", tail)));
    const other = mmSeq(mmPrompt("img-b", tail));
    bm.allocate(other);
    expect(other.numCachedTokens).toBe(4); // block 0 is text only
    expect(bm.prefixCacheStats).toMatchObject({ requestHits: 1, mmHits: 0 });
  });

  test("an image at the very start misses from block 0", () => {
    const bm = new BlockManager(32, BS);
    prefillAndFree(bm, mmSeq(mmPrompt("img-a", tail, 0)));
    const other = mmSeq(mmPrompt("img-b", tail, 0));
    bm.allocate(other);
    expect(other.numCachedTokens).toBe(0);
    expect(bm.prefixCacheStats).toMatchObject({ requests: 2, requestHits: 0, mmHits: 0 });
  });

  test("the same video sampled with other fps or max frames (another content hash) misses", () => {
    const bm = new BlockManager(32, BS);
    const video = (hash: string) => mmSeq(mmPrompt(hash, tail, 2, 10));
    prefillAndFree(bm, video("video;fps=2;max_frames=8"));
    const sameSampling = video("video;fps=2;max_frames=8");
    bm.allocate(sameSampling);
    expect(sameSampling.numCachedTokens).toBe(16);
    bm.free(sameSampling);
    for (const hash of ["video;fps=1;max_frames=8", "video;fps=2;max_frames=4"]) {
      const seq = video(hash);
      bm.allocate(seq);
      expect(seq.numCachedTokens).toBe(0);
      bm.free(seq);
    }
  });

  test("a text prompt equal in token ids to an image prompt does not hit the image's blocks", () => {
    const bm = new BlockManager(32, BS);
    prefillAndFree(bm, mmSeq(mmPrompt("img-a", tail)));
    const text = new Sequence({ promptTokenIds: mmPrompt("img-a", tail).tokens, maxTokens: 4 });
    bm.allocate(text);
    expect(text.numCachedTokens).toBe(4);
  });

  test("a hasher that ignores extra keys still cannot turn a different image into a hit", () => {
    const blind = (parent: bigint | null, tokens: readonly number[]) => hashBlockTokens(parent, tokens);
    const bm = new BlockManager(32, BS, { hasher: blind });
    prefillAndFree(bm, mmSeq(mmPrompt("img-a", tail)));
    const other = mmSeq(mmPrompt("img-b", tail));
    bm.allocate(other);
    expect(other.numCachedTokens).toBe(4);
  });

  test("evicting a cached block counts an eviction", () => {
    const bm = new BlockManager(5, BS);
    prefillAndFree(bm, mmSeq(mmPrompt("img-a", tail)));
    expect(bm.prefixCacheStats.evictions).toBe(0);
    const big = new Sequence({ promptTokenIds: Array.from({ length: 20 }, (_, i) => 500 + i), maxTokens: 4 });
    bm.allocate(big); // 5 blocks: the uncached last block first, then the 4 cached ones
    expect(bm.prefixCacheStats.evictions).toBe(4);
  });
});
