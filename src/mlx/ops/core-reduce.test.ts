import { describe, expect, test } from "bun:test";
import * as mx from "../index.ts";
import { describeArray, expectClose, on, shapeOf, vals } from "./core-test-helpers.ts";

describe("reductions", () => {
  test("sum, mean, max, min, prod over all axes, one axis, several axes, keepdims", () => {
    using a = mx.array([[1, 2, 3], [4, 5, 6]], { dtype: "float32" });
    expect(describeArray(mx.sum(a))).toEqual({ shape: [], dtype: "float32", values: [21] });
    expect(vals(mx.sum(a, 0))).toEqual([5, 7, 9]);
    expect(describeArray(mx.sum(a, 1, true))).toEqual({ shape: [2, 1], dtype: "float32", values: [6, 15] });
    expect(describeArray(mx.sum(a, [0, 1], true))).toEqual({ shape: [1, 1], dtype: "float32", values: [21] });
    expect(vals(mx.mean(a))).toEqual([3.5]);
    expect(vals(mx.mean(a, -1))).toEqual([2, 5]);
    expect(vals(mx.max(a))).toEqual([6]);
    expect(vals(mx.max(a, 0))).toEqual([4, 5, 6]);
    expect(vals(mx.min(a, [1]))).toEqual([1, 4]);
    expect(vals(mx.prod(a, 1))).toEqual([6, 120]);
    expect(vals(mx.prod(a))).toEqual([720]);
  });

  test("all and any", () => {
    using m = mx.array([[true, false], [true, true]]);
    expect(describeArray(mx.all(m))).toEqual({ shape: [], dtype: "bool", values: [0] });
    expect(vals(mx.all(m, 1))).toEqual([0, 1]);
    expect(vals(mx.any(m, 1))).toEqual([1, 1]);
    expect(vals(mx.any(m, 0, true))).toEqual([1, 1]);
  });

  test("logsumexp matches log(sum(exp)) and stays finite on large inputs", () => {
    expectClose(on(mx.array([0, Math.log(3)]), (x) => mx.logsumexp(x)), [Math.log(4)]);
    using big = mx.array([[1000, 1000], [0, -Infinity]]);
    expectClose(mx.logsumexp(big, 1), [1000 + Math.LN2, 0], 3);
    expect(shapeOf(mx.logsumexp(big, -1, true))).toEqual([2, 1]);
  });

  test("argmax and argmin (uint32) along an axis and over the flattened array", () => {
    using a = mx.array([[1, 3, 2], [5, 4, 6]]);
    expect(describeArray(mx.argmax(a, 1))).toEqual({ shape: [2], dtype: "uint32", values: [1, 2] });
    expect(describeArray(mx.argmax(a))).toEqual({ shape: [], dtype: "uint32", values: [5] });
    expect(describeArray(mx.argmax(a, -1, true))).toEqual({ shape: [2, 1], dtype: "uint32", values: [1, 2] });
    expect(vals(mx.argmin(a, 1))).toEqual([0, 1]);
    expect(vals(mx.argmin(a, 0))).toEqual([0, 0, 0]);
    expect(vals(mx.argmin(a))).toEqual([0]);
  });

  test("softmax: [0, ln 2] gives [1/3, 2/3]; -inf gets zero; axes and precise", () => {
    expectClose(on(mx.array([0, Math.LN2]), (x) => mx.softmax(x)), [1 / 3, 2 / 3], 6);
    expectClose(on(mx.array([0, -Infinity, 0]), (x) => mx.softmax(x)), [0.5, 0, 0.5], 6);
    using a = mx.array([[0, 0], [Math.log(3), 0]]);
    expectClose(mx.softmax(a, 0), [0.25, 0.5, 0.75, 0.5], 6);
    expectClose(mx.softmax(a, [0, 1]), [1 / 6, 1 / 6, 3 / 6, 1 / 6], 6);
    using bf = mx.array([0, Math.LN2], { dtype: "bfloat16" });
    const p = describeArray(mx.softmax(bf, -1, true));
    expect(p.dtype).toBe("bfloat16");
    p.values.forEach((v, i) => expect(v).toBeCloseTo([1 / 3, 2 / 3][i]!, 2));
  });

  test("cumsum: inclusive, exclusive, reverse, along an axis", () => {
    using a = mx.array([1, 2, 3, 4]);
    expect(vals(mx.cumsum(a))).toEqual([1, 3, 6, 10]);
    expect(vals(mx.cumsum(a, 0, true))).toEqual([10, 9, 7, 4]);
    expect(vals(mx.cumsum(a, 0, false, false))).toEqual([0, 1, 3, 6]);
    expect(vals(mx.cumsum(a, 0, true, false))).toEqual([9, 7, 4, 0]);
    using m = mx.array([[1, 2], [3, 4]]);
    expect(vals(mx.cumsum(m, 0))).toEqual([1, 2, 4, 6]);
    expect(vals(mx.cumsum(m, 1))).toEqual([1, 3, 3, 7]);
  });
});

describe("sorting", () => {
  test("sort and argsort along the last axis by default", () => {
    using a = mx.array([[3, 1, 2], [0, 9, -1]]);
    expect(vals(mx.sort(a))).toEqual([1, 2, 3, -1, 0, 9]);
    expect(describeArray(mx.argsort(a))).toEqual({ shape: [2, 3], dtype: "uint32", values: [1, 2, 0, 2, 0, 1] });
    expect(vals(mx.sort(a, 0))).toEqual([0, 1, -1, 3, 9, 2]);
  });

  test("argpartition puts the kth element in place, smaller before, larger after", () => {
    const data = [50, 10, 40, 20, 30, 70, 60, 0];
    using a = mx.array(data);
    for (const kth of [0, 2, 5, 7]) {
      const idx = vals(mx.argpartition(a, kth));
      expect([...idx].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      const v = idx.map((i) => data[i]!);
      const sorted = [...data].sort((x, y) => x - y);
      expect(v[kth]).toBe(sorted[kth]!);
      for (let i = 0; i < kth; i++) expect(v[i]!).toBeLessThanOrEqual(v[kth]!);
      for (let i = kth + 1; i < v.length; i++) expect(v[i]!).toBeGreaterThanOrEqual(v[kth]!);
    }
    const part = vals(mx.partition(a, 3));
    expect(part[3]).toBe(30);
    expect(part.slice(0, 3).every((x) => x <= 30)).toBe(true);
    expect(part.slice(4).every((x) => x >= 30)).toBe(true);
  });

  test("topk returns the k largest values", () => {
    using a = mx.array([[1, 5, 3, 4], [9, 8, 7, 6]]);
    const top = describeArray(mx.topk(a, 2));
    expect(top.shape).toEqual([2, 2]);
    expect(top.values.slice(0, 2).sort()).toEqual([4, 5]);
    expect(top.values.slice(2).sort()).toEqual([8, 9]);
    expect(vals(mx.topk(a, 1, 0))).toEqual([9, 8, 7, 6]);
  });
});
