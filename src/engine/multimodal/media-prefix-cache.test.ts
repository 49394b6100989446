/** Decoded media through the prefix cache: content hashes from src/media key the blocks that hold their tokens. */
import { describe, expect, test } from "bun:test";
import { DEFAULT_MEDIA_POLICY, loadMedia, type VideoSampling } from "../../media/index.ts";
import { gradientImage, testVideo } from "../../media/testing.ts";
import { BlockManager } from "../core/block-manager.ts";
import { Sequence } from "../core/sequence.ts";
import { InvalidRequestError } from "../protocol.ts";
import { toPlaceholders } from "./placeholders.ts";

const BS = 16;
const IMG = 151_655;
const SAMPLING: VideoSampling = { fps: 2, minFrames: 4, maxFrames: 768, frameFactor: 2 };

const dataUrl = (mime: string, bytes: Uint8Array) => `data:${mime};base64,${Buffer.from(bytes).toString("base64")}`;

/** 16 text tokens, 64 placeholders, then `question`: block 0 is text, 1-4 hold the item, 5+ the question. */
function prompt(contentHash: string, question: number[]): Sequence {
  const tokens = [...Array.from({ length: 16 }, (_, i) => 1000 + i), ...new Array<number>(64).fill(IMG), ...question];
  const mmPlaceholders = toPlaceholders([{ contentHash }], [[16, 80]], tokens.length);
  return new Sequence({ promptTokenIds: tokens, maxTokens: 8, mmPlaceholders });
}

function cachedAfter(bm: BlockManager, first: Sequence, second: Sequence): number {
  bm.allocate(first);
  first.numComputedTokens = first.numTokens;
  bm.cacheBlocks(first);
  bm.free(first);
  bm.allocate(second);
  const cached = second.numCachedTokens;
  bm.free(second);
  return cached;
}

const QUESTION = Array.from({ length: 40 }, (_, i) => 2000 + i);
const OTHER_QUESTION = [...QUESTION.slice(0, 20), 3000, ...QUESTION.slice(21)];

describe("prefix cache over decoded media", () => {
  test("the same picture loaded twice hits; another question shares the leading blocks; another picture misses at its first block", async () => {
    const png = await loadMedia({ kind: "image", ref: dataUrl("image/png", await gradientImage(48, 32)) }, DEFAULT_MEDIA_POLICY);
    const samePixels = await loadMedia({ kind: "image", ref: dataUrl("image/png", await gradientImage(48, 32)) }, DEFAULT_MEDIA_POLICY);
    const other = await loadMedia({ kind: "image", ref: dataUrl("image/png", await gradientImage(48, 33)) }, DEFAULT_MEDIA_POLICY);
    // 120 tokens: 7 full blocks hit (the last token is always computed).
    expect(cachedAfter(new BlockManager(64, BS), prompt(png.contentHash, QUESTION), prompt(samePixels.contentHash, QUESTION))).toBe(112);
    // The question differs at token 100 (block 6): blocks 0-5 are shared.
    expect(cachedAfter(new BlockManager(64, BS), prompt(png.contentHash, QUESTION), prompt(png.contentHash, OTHER_QUESTION))).toBe(96);
    expect(cachedAfter(new BlockManager(64, BS), prompt(png.contentHash, QUESTION), prompt(other.contentHash, QUESTION))).toBe(16);
  });

  test("the same video sampled at another fps or max frames misses", async () => {
    const ref = dataUrl("video/mp4", await testVideo(40, 10, 32, 32));
    const hashOf = async (s: VideoSampling) => (await loadMedia({ kind: "video", ref, sampling: s }, DEFAULT_MEDIA_POLICY)).contentHash;
    const base = await hashOf(SAMPLING);
    expect(cachedAfter(new BlockManager(64, BS), prompt(base, QUESTION), prompt(await hashOf(SAMPLING), QUESTION))).toBe(112);
    expect(cachedAfter(new BlockManager(64, BS), prompt(base, QUESTION), prompt(await hashOf({ ...SAMPLING, fps: 1 }), QUESTION))).toBe(16);
    expect(cachedAfter(new BlockManager(64, BS), prompt(base, QUESTION), prompt(await hashOf({ ...SAMPLING, maxFrames: 4 }), QUESTION))).toBe(16);
  });

  test("toPlaceholders refuses ranges that do not fit the prompt", () => {
    expect(() => toPlaceholders([{ contentHash: "a" }], [[10, 90]], 80)).toThrow(InvalidRequestError);
    expect(() => toPlaceholders([{ contentHash: "a" }, { contentHash: "b" }], [[10, 20]], 80)).toThrow("2 media items but 1 placeholder ranges");
    expect(toPlaceholders([{ contentHash: "a" }], [[5, 9]], 80)).toEqual([{ hash: "a", offset: 5, length: 4 }]);
  });
});
