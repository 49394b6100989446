/**
 * The decoder's `lastOnly` forward: its last layer queries only the last position (keys and values of every
 * position still go to the cache). It must give the full forward's last row, and leave the same cache behind.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import * as mx from "../mlx/index.ts";
import { prefill } from "../engine/runner/generate.ts";
import { writeTinyModel, type TinyFamily } from "../engine/runner/testing.ts";
import { maxAbs, maxAbsDiff } from "../nn/testing.ts";
import { KVCache, type LayerCache } from "../nn/cache.ts";
import { loadModelDir } from "./load.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// 40 tokens: past the Gemma fixtures' sliding window of 16.
const PROMPT = Array.from({ length: 40 }, (_, i) => (i * 37 + 11) % 256);
/** fp32 logits of magnitude ~1-10; the two paths differ only in summation order. */
const TOLERANCE = 1e-4;

/** Logits of one more token (7) after the prompt, read through `caches`. */
function nextLogits(forward: (t: mx.Array, c: readonly LayerCache[]) => mx.Array, caches: readonly LayerCache[]): mx.Array {
  using t = mx.array([[7]], { dtype: "int32" });
  return forward(t, caches);
}

describe("DecoderModel lastOnly", () => {
  const families: TinyFamily[] = ["llama", "qwen3", "gemma2", "gemma3_text"];
  for (const family of families) {
    test(`${family}: the last row of the full forward, and the same cache for the next token`, async () => {
      const dir = writeTinyModel(family, { seed: 3 });
      dirs.push(dir);
      const { model } = await loadModelDir(dir);
      const forward = (t: mx.Array, c: readonly LayerCache[], lastOnly = true) => model.forward(t, c, { lastOnly });
      const full = model.makeCache(), last = model.makeCache(), chunked = model.makeCache();
      try {
        using tokens = mx.array([PROMPT], { dtype: "int32" });
        using all = forward(tokens, full, false); // [1, 40, V]
        const V = all.shape[2]!;
        using want = mx.slice(all, [0, PROMPT.length - 1, 0], [1, PROMPT.length, V]);
        using got = forward(tokens, last);
        expect(got.shape).toEqual([1, 1, V]);
        expect(maxAbs(want)).toBeGreaterThan(0.1);
        expect(maxAbsDiff(got, want)).toBeLessThan(TOLERANCE);
        // generate()'s prefill in chunks of 16: each chunk's last layer is cut to its last position.
        using byChunks = prefill(model, PROMPT, chunked, 16);
        using want2 = mx.reshape(want, [1, V]);
        expect(maxAbsDiff(byChunks, want2)).toBeLessThan(TOLERANCE);
        // The layer itself returns the last position alone, having cached all of them.
        const cache = new KVCache();
        using x = mx.ones([1, 5, model.spec.config.hiddenSize], "float32");
        using y = model.layers[0]!.forward(x, cache, undefined, true);
        expect(y.shape).toEqual([1, 1, model.spec.config.hiddenSize]);
        expect(cache.offset).toBe(5);
        cache.dispose();
        using nextFull = nextLogits(forward, full);
        using nextLast = nextLogits(forward, last);
        using nextChunked = nextLogits(forward, chunked);
        expect(maxAbs(nextFull)).toBeGreaterThan(0.1);
        expect(maxAbsDiff(nextLast, nextFull)).toBeLessThan(TOLERANCE);
        expect(maxAbsDiff(nextChunked, nextFull)).toBeLessThan(TOLERANCE);
      } finally {
        for (const c of [...full, ...last, ...chunked]) c.dispose();
      }
    });
  }
});
