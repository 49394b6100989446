import { describe, expect, test } from "bun:test";
import * as mx from "../../mlx/index.ts";
import { applyTokenBitmask, bitmaskWords } from "./token-bitmask.ts";

/** The host's reading of a bitmask, for comparison. */
function allowedOnHost(bitmask: Int32Array, row: number, V: number): boolean[] {
  const W = bitmaskWords(V);
  return Array.from({ length: V }, (_, t) => ((bitmask[row * W + (t >>> 5)]! >>> (t & 31)) & 1) === 1);
}

describe("applyTokenBitmask", () => {
  test("keeps exactly the allowed tokens, bit 31 and a partial last word included", () => {
    const V = 75; // 3 words, the last one partial
    const B = 3;
    const W = bitmaskWords(V);
    const bitmask = new Int32Array(B * W);
    bitmask.set([0b101, 1 << 31, 0x7ff], 0); // tokens 0, 2, 63, 64..74
    bitmask.set([-1, -1, -1], W); // unconstrained row
    bitmask.set([0, 0x12345678 | 0, 0], 2 * W);
    using logits = mx.arange(0, B * V, 1, "float32");
    using x = mx.reshape(logits, [B, V]);
    using masked = applyTokenBitmask(x, bitmask);
    const got = masked.toList() as number[];
    for (let b = 0; b < B; b++) {
      const allowed = allowedOnHost(bitmask, b, V);
      for (let t = 0; t < V; t++) expect(got[b * V + t]).toBe(allowed[t] ? b * V + t : -Infinity);
    }
    expect(allowedOnHost(bitmask, 0, V).filter(Boolean).length).toBe(2 + 1 + 11);
  });

  test("argmax follows the mask", () => {
    const V = 100;
    const bitmask = new Int32Array(bitmaskWords(V));
    bitmask[1] = 1 << 9; // only token 41
    using x = mx.array(Array.from({ length: V }, (_, i) => (i === 7 ? 10 : 0)), { shape: [1, V] });
    using masked = applyTokenBitmask(x, bitmask);
    using best = mx.argmax(masked, -1);
    expect(best.toList()).toEqual([41]);
  });

  test("a bitmask that is a view into a larger buffer reads its own words", () => {
    const V = 64;
    const W = bitmaskWords(V);
    const big = new Int32Array(3 * W).fill(-1);
    big.set([1 << 5, 1 << 31], W); // row 1 of big: tokens 5 and 63
    using x = mx.zeros([1, V]);
    using masked = applyTokenBitmask(x, big.subarray(W, 2 * W));
    const got = masked.toList() as number[];
    expect(got.flatMap((v, t) => (v === 0 ? [t] : []))).toEqual([5, 63]);
  });

  test("a bitmask of the wrong size is a RangeError", () => {
    using x = mx.zeros([2, 64]);
    expect(() => applyTokenBitmask(x, new Int32Array(3))).toThrow(RangeError);
  });
});
