import { describe, expect, test } from "bun:test";
import * as mx from "../index.ts";
import { describeArray, on, shapeOf, vals } from "./core-test-helpers.ts";

describe("shapes", () => {
  test("reshape (with -1), flatten, and an incompatible reshape raising MLX's message", () => {
    using a = mx.arange(6);
    expect(describeArray(mx.reshape(a, [2, 3]))).toEqual({ shape: [2, 3], dtype: "int32", values: [0, 1, 2, 3, 4, 5] });
    expect(shapeOf(mx.reshape(a, [3, -1]))).toEqual([3, 2]);
    using cube = mx.reshape(a, [1, 2, 3]);
    expect(describeArray(mx.flatten(cube))).toEqual({ shape: [6], dtype: "int32", values: [0, 1, 2, 3, 4, 5] });
    expect(shapeOf(mx.flatten(cube, 1))).toEqual([1, 6]);
    expect(shapeOf(mx.flatten(cube, 0, 1))).toEqual([2, 3]);
    let err: unknown;
    try {
      mx.reshape(a, [4]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(mx.MlxError);
    expect((err as mx.MlxError).op).toBe("mlx_reshape");
    expect((err as mx.MlxError).mlxMessage).toContain("Cannot reshape array of size 6 into shape (4)");
  });

  test("transpose, swapaxes, expandDims, squeeze, broadcastTo", () => {
    using a = mx.array([[1, 2, 3], [4, 5, 6]]);
    expect(describeArray(mx.transpose(a))).toEqual({ shape: [3, 2], dtype: "int32", values: [1, 4, 2, 5, 3, 6] });
    using t3 = on(mx.arange(24), (x) => mx.reshape(x, [2, 3, 4]));
    expect(shapeOf(mx.transpose(t3, [2, 0, 1]))).toEqual([4, 2, 3]);
    expect(vals(mx.swapaxes(a, 0, 1))).toEqual([1, 4, 2, 5, 3, 6]);
    expect(shapeOf(mx.expandDims(a, 0))).toEqual([1, 2, 3]);
    expect(shapeOf(mx.expandDims(a, [0, 3]))).toEqual([1, 2, 3, 1]);
    using e = mx.reshape(a, [1, 2, 1, 3]);
    expect(shapeOf(mx.squeeze(e))).toEqual([2, 3]);
    expect(shapeOf(mx.squeeze(e, 2))).toEqual([1, 2, 3]);
    expect(shapeOf(mx.squeeze(e, [0, 2]))).toEqual([2, 3]);
    using row = mx.array([[7, 8, 9]]);
    expect(describeArray(mx.broadcastTo(row, [2, 3]))).toEqual({ shape: [2, 3], dtype: "int32", values: [7, 8, 9, 7, 8, 9] });
  });

  test("concatenate and stack", () => {
    using a = mx.array([[1, 2]]);
    using b = mx.array([[3, 4], [5, 6]]);
    expect(describeArray(mx.concatenate([a, b]))).toEqual({ shape: [3, 2], dtype: "int32", values: [1, 2, 3, 4, 5, 6] });
    using c = mx.array([[9], [8]]);
    expect(vals(mx.concatenate([b, c], 1))).toEqual([3, 4, 9, 5, 6, 8]);
    using x = mx.array([1, 2]);
    using y = mx.array([3, 4]);
    expect(describeArray(mx.stack([x, y]))).toEqual({ shape: [2, 2], dtype: "int32", values: [1, 2, 3, 4] });
    expect(describeArray(mx.stack([x, y], 1))).toEqual({ shape: [2, 2], dtype: "int32", values: [1, 3, 2, 4] });
    const many = Array.from({ length: 40 }, (_, i) => mx.array([i]));
    expect(vals(mx.concatenate(many))).toEqual(Array.from({ length: 40 }, (_, i) => i));
    for (const m of many) m.dispose();
  });

  test("split into equal parts or at indices returns owned arrays", () => {
    using a = on(mx.arange(12), (x) => mx.reshape(x, [2, 6]));
    const parts = mx.split(a, 3, 1);
    expect(parts.map((p) => describeArray(p))).toEqual([
      { shape: [2, 2], dtype: "int32", values: [0, 1, 6, 7] },
      { shape: [2, 2], dtype: "int32", values: [2, 3, 8, 9] },
      { shape: [2, 2], dtype: "int32", values: [4, 5, 10, 11] },
    ]);
    using five = mx.arange(5);
    expect(mx.split(five, [1, 3]).map(vals)).toEqual([[0], [1, 2], [3, 4]]);
    expect(() => mx.split(five, 2)).toThrow(mx.MlxError);
  });

  test("repeat and pad", () => {
    using a = mx.array([[1, 2], [3, 4]]);
    expect(vals(mx.repeat(a, 2))).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
    expect(describeArray(mx.repeat(a, 2, 0))).toEqual({ shape: [4, 2], dtype: "int32", values: [1, 2, 1, 2, 3, 4, 3, 4] });
    expect(describeArray(mx.pad(a, 1))).toEqual({
      shape: [4, 4], dtype: "int32", values: [0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0],
    });
    expect(describeArray(mx.pad(a, [[0, 0], [1, 2]], 9))).toEqual({
      shape: [2, 5], dtype: "int32", values: [9, 1, 2, 9, 9, 9, 3, 4, 9, 9],
    });
    using bf = mx.array([1], { dtype: "bfloat16" });
    expect(describeArray(mx.pad(bf, [1, 0], -0.5))).toEqual({ shape: [2], dtype: "bfloat16", values: [-0.5, 1] });
  });
});

describe("indexing", () => {
  test("slice with and without strides", () => {
    using a = on(mx.arange(12), (x) => mx.reshape(x, [3, 4]));
    expect(describeArray(mx.slice(a, [1, 1], [3, 3]))).toEqual({ shape: [2, 2], dtype: "int32", values: [5, 6, 9, 10] });
    expect(vals(mx.slice(a, [0, 0], [3, 4], [2, 3]))).toEqual([0, 3, 8, 11]);
  });

  test("sliceUpdate writes a block and leaves the source untouched", () => {
    using src = mx.zeros([3, 4], "int32");
    using upd = mx.array([[1, 2], [3, 4]]);
    expect(vals(mx.sliceUpdate(src, upd, [1, 2], [3, 4]))).toEqual([0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4]);
    using col = mx.array([[7], [8]]);
    expect(vals(mx.sliceUpdate(src, col, [0, 1], [3, 2], [2, 1]))).toEqual([0, 7, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0]);
    expect(vals(mx.sum(src))).toEqual([0]);
  });

  test("take over the flattened array and along an axis", () => {
    using a = mx.array([[10, 11, 12], [20, 21, 22]]);
    using idx = mx.array([2, 0, 5], { dtype: "uint32" });
    expect(vals(mx.take(a, idx))).toEqual([12, 10, 22]);
    using rows = mx.array([1, 1, 0]);
    expect(describeArray(mx.take(a, rows, 0))).toEqual({ shape: [3, 3], dtype: "int32", values: [20, 21, 22, 20, 21, 22, 10, 11, 12] });
    using cols = mx.array([[0, 2]]);
    expect(shapeOf(mx.take(a, cols, 1))).toEqual([2, 1, 2]);
  });

  test("takeAlongAxis and putAlongAxis", () => {
    using a = mx.array([[10, 30, 20], [60, 40, 50]]);
    using idx = mx.array([[1], [0]]);
    expect(describeArray(mx.takeAlongAxis(a, idx, 1))).toEqual({ shape: [2, 1], dtype: "int32", values: [30, 60] });
    using order = mx.argsort(a, 1);
    expect(vals(mx.takeAlongAxis(a, order, 1))).toEqual([10, 20, 30, 40, 50, 60]);
    using vals0 = mx.array([[-1], [-2]]);
    expect(vals(mx.putAlongAxis(a, idx, vals0, 1))).toEqual([10, -1, 20, -2, 40, 50]);
    using both = mx.array([[2, 0]]);
    using fill = mx.array([[7, 8]]);
    expect(vals(mx.putAlongAxis(a, both, fill, 1))).toEqual([8, 30, 7, 8, 40, 7]);
  });
});
