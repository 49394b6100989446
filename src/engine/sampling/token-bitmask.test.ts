import { describe, expect, test } from "bun:test";
import * as mx from "../../mlx/index.ts";
import { applyTokenBitmask, bitmaskWords } from "./token-bitmask.ts";
import { applyTokenBitmaskOps } from "./token-bitmask-ops.ts";

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

  test("an integer result dtype is refused", () => {
    using x = mx.zeros([1, 64]);
    expect(() => mx.applyTokenBitmask(x, new Int32Array(2), "int32")).toThrow("the result dtype must be floating");
  });

  test("a bitmask of the wrong size is a RangeError", () => {
    using x = mx.zeros([2, 64]);
    expect(() => applyTokenBitmask(x, new Int32Array(3))).toThrow(RangeError);
    using flat = mx.zeros([64]);
    expect(() => applyTokenBitmask(flat, new Int32Array(2))).toThrow(RangeError);
  });
});

/** A seeded xorshift: random words with every bit pattern, sign bit included. */
function randomWords(n: number, seed: number): Int32Array {
  let s = seed >>> 0 || 1;
  return Int32Array.from({ length: n }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s | 0;
  });
}

/** The bytes of an array's values (bit-exact comparison: -inf, signed zeros and NaN payloads included). */
function bytesOf(a: mx.Array): Uint8Array {
  using f = mx.astype(a, "float32"); // exact for bfloat16, float16 and float32
  return new Uint8Array(new Float32Array(f.toList() as number[]).buffer);
}

describe("applyTokenBitmask (native) against the op-by-op formulation", () => {
  const cases: [number, number, mx.Dtype][] = [
    [1, 64, "float32"], [3, 75, "bfloat16"], [2, 100, "float16"], [4, 4096, "bfloat16"], [2, 151_936, "bfloat16"],
    [1, 49_153, "float32"],
  ];
  for (const [B, V, dtype] of cases) {
    test(`bit-exact, ${B} x ${V} ${dtype}: random words, an all-ones row, an all-zeros row`, () => {
      const W = bitmaskWords(V);
      const bitmask = randomWords(B * W, B * 7919 + V);
      if (B > 1) bitmask.fill(-1, W, 2 * W);
      if (B > 2) bitmask.fill(0, 2 * W, 3 * W);
      using key = mx.randomKey(V);
      using x0 = mx.normal([B, V], "float32", key, 0, 5);
      using x = mx.astype(x0, dtype);
      using ref = applyTokenBitmaskOps(x, bitmask);
      using same = mx.applyTokenBitmask(x, bitmask); // the logits' dtype
      using fast = applyTokenBitmask(x, bitmask); // float32, the sampler's
      expect(same.dtype).toBe(ref.dtype);
      expect(fast.dtype).toBe("float32");
      expect(fast.shape).toEqual([B, V]);
      expect(Buffer.from(bytesOf(same)).equals(Buffer.from(bytesOf(ref)))).toBe(true);
      expect(Buffer.from(bytesOf(fast)).equals(Buffer.from(bytesOf(ref)))).toBe(true);
      const got = fast.toList() as number[];
      const kept = got.filter((v) => v !== -Infinity).length;
      const allowed = Array.from({ length: B }, (_, b) => allowedOnHost(bitmask, b, V).filter(Boolean).length).reduce((a, c) => a + c, 0);
      expect(kept).toBe(allowed);
    });
  }

  test("the same result with graph compilation off (the plain op graph)", () => {
    const V = 200;
    const bitmask = randomWords(2 * bitmaskWords(V), 5);
    using key = mx.randomKey(1);
    using x = mx.normal([2, V], "float32", key);
    using on = applyTokenBitmask(x, bitmask);
    const want = on.toList();
    mx.setCompileEnabled(false);
    try {
      using off = applyTokenBitmask(x, bitmask);
      expect(off.toList()).toEqual(want);
    } finally {
      mx.setCompileEnabled(true);
    }
  });

  test("the bitmask is copied at the call: reusing its buffer before evaluation changes nothing", () => {
    const V = 64;
    const bitmask = new Int32Array(2).fill(0);
    bitmask[0] = 1 << 3;
    using x = mx.zeros([1, V]);
    using masked = applyTokenBitmask(x, bitmask);
    bitmask.fill(-1);
    const got = masked.toList() as number[];
    expect(got.flatMap((v, t) => (v === 0 ? [t] : []))).toEqual([3]);
  });
});
