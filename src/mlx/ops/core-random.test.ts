import { describe, expect, test } from "bun:test";
import * as mx from "../index.ts";
import { describeArray, vals } from "./core-test-helpers.ts";

function stats(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}

describe("random", () => {
  test("randomKey is a uint32 pair [high word, low word] of the seed; split gives distinct keys", () => {
    expect(describeArray(mx.randomKey(42))).toEqual({ shape: [2], dtype: "uint32", values: [0, 42] });
    expect(vals(mx.randomKey(2 ** 32 + 5))).toEqual([1, 5]);
    using key = mx.randomKey(0);
    using keys = mx.randomSplit(key, 3);
    const k = describeArray(mx.randomSplit(key, 3));
    expect(k.shape).toEqual([3, 2]);
    expect(vals(keys)).toEqual(k.values);
    const rows = [k.values.slice(0, 2).join(), k.values.slice(2, 4).join(), k.values.slice(4).join()];
    expect(new Set(rows).size).toBe(3);
    const pair = describeArray(mx.randomSplit(key));
    expect(pair.shape).toEqual([2, 2]);
    expect(pair.values).toEqual(vals(mx.randomSplit(key, 2)));
  });

  test("uniform: reproducible per key, inside [low, high), honours dtype", () => {
    using key = mx.randomKey(7);
    const a = vals(mx.uniform(-2, 3, [1000], "float32", key));
    const b = vals(mx.uniform(-2, 3, [1000], "float32", key));
    expect(a).toEqual(b);
    expect(a.every((x) => x >= -2 && x < 3)).toBe(true);
    expect(stats(a).mean).toBeCloseTo(0.5, 0);
    using other = mx.randomKey(8);
    expect(vals(mx.uniform(-2, 3, [1000], "float32", other))).not.toEqual(a);
    expect(describeArray(mx.uniform(0, 1, [2, 2], "bfloat16", key)).dtype).toBe("bfloat16");
    using lo = mx.array([0, 10]);
    const pair = vals(mx.uniform(lo, 11, [2], "float32", key));
    expect(pair[0]! >= 0 && pair[0]! < 11 && pair[1]! >= 10 && pair[1]! < 11).toBe(true);
  });

  test("normal: reproducible per key, mean about 0 and std about 1, loc/scale shift and stretch", () => {
    using key = mx.randomKey(3);
    const z = vals(mx.normal([20000], "float32", key));
    expect(vals(mx.normal([20000], "float32", key))).toEqual(z);
    const s = stats(z);
    expect(Math.abs(s.mean)).toBeLessThan(0.05);
    expect(Math.abs(s.std - 1)).toBeLessThan(0.05);
    const shifted = vals(mx.normal([20000], "float32", key, 5, 2));
    shifted.forEach((v, i) => expect(v).toBeCloseTo(5 + 2 * z[i]!, 4));
  });

  test("seed resets the global PRNG", () => {
    mx.seed(11);
    const a = vals(mx.uniform(0, 1, [8]));
    mx.seed(11);
    expect(vals(mx.uniform(0, 1, [8]))).toEqual(a);
  });

  test("categorical: reproducible with a key and never draws a -inf logit", () => {
    using logits = mx.array([[0, -Infinity, Math.log(3), -Infinity]]);
    using key = mx.randomKey(1234);
    const draws = describeArray(mx.categorical(logits, { key, numSamples: 4000 }));
    expect(draws.shape).toEqual([1, 4000]);
    expect(draws.dtype).toBe("uint32");
    expect(vals(mx.categorical(logits, { key, numSamples: 4000 }))).toEqual(draws.values);
    expect(new Set(draws.values)).toEqual(new Set([0, 2]));
    const share2 = draws.values.filter((v) => v === 2).length / draws.values.length;
    expect(share2).toBeGreaterThan(0.7);
    expect(share2).toBeLessThan(0.8);
    using one = mx.categorical(logits, { key });
    expect(one.shape).toEqual([1]);
    using cols = mx.array([[5, 0], [-Infinity, -Infinity], [-Infinity, -Infinity]]);
    expect(Array.from({ length: 5 }, () => vals(mx.categorical(cols, { axis: 0 })))).toEqual(
      Array.from({ length: 5 }, () => [0, 0]));
  });

  test("bernoulli: p = 0 and p = 1 are certain; shape follows p", () => {
    using key = mx.randomKey(5);
    expect(describeArray(mx.bernoulli(0, [4], key))).toEqual({ shape: [4], dtype: "bool", values: [0, 0, 0, 0] });
    expect(vals(mx.bernoulli(1, [3], key))).toEqual([1, 1, 1]);
    using p = mx.array([0, 1, 0], { dtype: "float32" });
    expect(describeArray(mx.bernoulli(p, undefined, key))).toEqual({ shape: [3], dtype: "bool", values: [0, 1, 0] });
    const half = vals(mx.bernoulli(0.5, [4000], key));
    expect(stats(half).mean).toBeCloseTo(0.5, 1);
  });
});
