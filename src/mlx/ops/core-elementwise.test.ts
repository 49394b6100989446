import { describe, expect, test } from "bun:test";
import * as mx from "../index.ts";
import { describeArray, expectClose, on, shapeOf, vals } from "./core-test-helpers.ts";

describe("binary ops", () => {
  test("arithmetic on two arrays", () => {
    using a = mx.array([6, -3, 2.5]);
    using b = mx.array([2, 4, 0.5]);
    expect(vals(mx.add(a, b))).toEqual([8, 1, 3]);
    expect(vals(mx.subtract(a, b))).toEqual([4, -7, 2]);
    expect(vals(mx.multiply(a, b))).toEqual([12, -12, 1.25]);
    expect(vals(mx.divide(a, b))).toEqual([3, -0.75, 5]);
    expect(vals(mx.maximum(a, b))).toEqual([6, 4, 2.5]);
    expect(vals(mx.minimum(a, b))).toEqual([2, -3, 0.5]);
    expect(vals(mx.power(b, a))).toEqual([64, 1 / 64, Math.pow(0.5, 2.5)].map(Math.fround));
  });

  test("integer division is true division; remainder takes the divisor's sign", () => {
    using a = mx.array([1, 2, -1, 5]);
    expect(describeArray(mx.divide(a, 2))).toEqual({ shape: [4], dtype: "float32", values: [0.5, 1, -0.5, 2.5] });
    expect(describeArray(mx.remainder(a, 3))).toEqual({ shape: [4], dtype: "int32", values: [1, 2, 2, 2] });
  });

  test("comparisons give bool arrays", () => {
    using a = mx.array([1, 2, 3]);
    using two = mx.array([2, 2, 2]);
    expect(describeArray(mx.equal(a, two))).toEqual({ shape: [3], dtype: "bool", values: [0, 1, 0] });
    expect(vals(mx.notEqual(a, 2))).toEqual([1, 0, 1]);
    expect(vals(mx.greater(a, 2))).toEqual([0, 0, 1]);
    expect(vals(mx.greaterEqual(a, two))).toEqual([0, 1, 1]);
    expect(vals(mx.less(a, 2))).toEqual([1, 0, 0]);
    expect(vals(mx.lessEqual(a, 2))).toEqual([1, 1, 0]);
    expect(vals(mx.less(2, a))).toEqual([0, 0, 1]);
  });

  test("logical and / or", () => {
    using p = mx.array([true, true, false, false]);
    using q = mx.array([true, false, true, false]);
    expect(describeArray(mx.logicalAnd(p, q))).toEqual({ shape: [4], dtype: "bool", values: [1, 0, 0, 0] });
    expect(vals(mx.logicalOr(p, q))).toEqual([1, 1, 1, 0]);
  });

  test("a number on either side; order matters for non-commutative ops", () => {
    using a = mx.array([1, 2, 4], { dtype: "float32" });
    expect(vals(mx.subtract(10, a))).toEqual([9, 8, 6]);
    expect(vals(mx.subtract(a, 10))).toEqual([-9, -8, -6]);
    expect(vals(mx.divide(1, a))).toEqual([1, 0.5, 0.25]);
    expect(vals(mx.power(2, a))).toEqual([2, 4, 16]);
    expect(vals(mx.maximum(a, 2))).toEqual([2, 2, 4]);
    expect(vals(mx.minimum(3, a))).toEqual([1, 2, 3]);
  });

  test("weak scalars keep the array's dtype, as in MLX Python", () => {
    using bf = mx.array([1, 2, 3], { dtype: "bfloat16" });
    expect(describeArray(mx.add(bf, 2))).toEqual({ shape: [3], dtype: "bfloat16", values: [3, 4, 5] });
    expect(describeArray(mx.multiply(0.5, bf))).toEqual({ shape: [3], dtype: "bfloat16", values: [0.5, 1, 1.5] });
    using half = mx.array([1, 2], { dtype: "float16" });
    expect(describeArray(mx.divide(half, 4))).toEqual({ shape: [2], dtype: "float16", values: [0.25, 0.5] });
    using u8 = mx.array([250, 1], { dtype: "uint8" });
    expect(describeArray(mx.add(u8, 1))).toEqual({ shape: [2], dtype: "uint8", values: [251, 2] });
    using i = mx.array([1, 2]);
    expect(describeArray(mx.add(i, 3))).toEqual({ shape: [2], dtype: "int32", values: [4, 5] });
    expect(describeArray(mx.add(i, 0.5))).toEqual({ shape: [2], dtype: "float32", values: [1.5, 2.5] });
    using flags = mx.array([true, false]);
    expect(describeArray(mx.add(flags, 1))).toEqual({ shape: [2], dtype: "int32", values: [2, 1] });
  });

  test("two numbers make int32 or float32 scalars", () => {
    expect(describeArray(mx.add(2, 3))).toEqual({ shape: [], dtype: "int32", values: [5] });
    expect(describeArray(mx.multiply(2, 0.25))).toEqual({ shape: [], dtype: "float32", values: [0.5] });
  });

  test("where selects and broadcasts, typing numbers after the other branch", () => {
    using mask = mx.array([true, false, true]);
    using x = mx.array([1, 2, 3], { dtype: "bfloat16" });
    using y = mx.array([10, 20, 30], { dtype: "bfloat16" });
    expect(vals(mx.where(mask, x, y))).toEqual([1, 20, 3]);
    expect(describeArray(mx.where(mask, x, -Infinity))).toEqual({ shape: [3], dtype: "bfloat16", values: [1, -Infinity, 3] });
    expect(describeArray(mx.where(mask, 0, y))).toEqual({ shape: [3], dtype: "bfloat16", values: [0, 20, 0] });
    expect(describeArray(mx.where(mask, 1, 2.5))).toEqual({ shape: [3], dtype: "float32", values: [1, 2.5, 1] });
  });
});

describe("unary ops", () => {
  test("sign and magnitude", () => {
    using a = mx.array([-1.5, 0, 2]);
    expect(vals(mx.negative(a))).toEqual([1.5, -0, -2]);
    expect(vals(mx.abs(a))).toEqual([1.5, 0, 2]);
    expect(vals(mx.sign(a))).toEqual([-1, 0, 1]);
    expect(vals(mx.square(a))).toEqual([2.25, 0, 4]);
  });

  test("exp, log and log1p invert each other on known points", () => {
    expectClose(on(mx.array([0, Math.LN2, 1]), (x) => mx.exp(x)), [1, 2, Math.E]);
    expectClose(on(mx.array([1, Math.E, 0.5]), (x) => mx.log(x)), [0, 1, -Math.LN2]);
    expectClose(on(mx.array([0, Math.E - 1]), (x) => mx.log1p(x)), [0, 1]);
  });

  test("roots and reciprocals", () => {
    using a = mx.array([4, 0.25, 16]);
    expect(vals(mx.sqrt(a))).toEqual([2, 0.5, 4]);
    expectClose(mx.rsqrt(a), [0.5, 2, 0.25]);
    expect(vals(mx.reciprocal(a))).toEqual([0.25, 4, 0.0625]);
  });

  test("trigonometric, tanh, sigmoid and erf", () => {
    expectClose(on(mx.array([0, Math.PI / 2, Math.PI / 6]), (x) => mx.sin(x)), [0, 1, 0.5]);
    expectClose(on(mx.array([0, Math.PI, Math.PI / 3]), (x) => mx.cos(x)), [1, -1, 0.5]);
    expectClose(on(mx.array([0, Math.log(3) / 2]), (x) => mx.tanh(x)), [0, 0.5]);
    expectClose(on(mx.array([0, Math.log(3), -Math.log(3)]), (x) => mx.sigmoid(x)), [0.5, 0.75, 0.25]);
    expectClose(on(mx.array([0, 0.5, -0.5, 10]), (x) => mx.erf(x)), [0, 0.5204998778, -0.5204998778, 1]);
  });

  test("floor, ceil and round (half to even)", () => {
    using a = mx.array([1.5, -1.5, 2.5, 0.4]);
    expect(vals(mx.floor(a))).toEqual([1, -2, 2, 0]);
    expect(vals(mx.ceil(a))).toEqual([2, -1, 3, 1]);
    expect(vals(mx.round(a))).toEqual([2, -2, 2, 0]);
    expectClose(on(mx.array([1.2345, 2.71828]), (x) => mx.round(x, 2)), [1.23, 2.72]);
  });

  test("logicalNot, isnan, isinf", () => {
    expect(describeArray(on(mx.array([true, false]), (x) => mx.logicalNot(x)))).toEqual({ shape: [2], dtype: "bool", values: [0, 1] });
    expect(vals(on(mx.array([0, 3]), (x) => mx.logicalNot(x)))).toEqual([1, 0]);
    using a = mx.array([NaN, Infinity, -Infinity, 1]);
    expect(vals(mx.isnan(a))).toEqual([1, 0, 0, 0]);
    expect(vals(mx.isinf(a))).toEqual([0, 1, 1, 0]);
  });

  test("stopGradient is the identity on values; silu is x * sigmoid(x)", () => {
    using a = mx.array([0, Math.log(3), -Math.log(3)]);
    expectClose(mx.stopGradient(a), [0, Math.log(3), -Math.log(3)]);
    expectClose(mx.silu(a), [0, 0.75 * Math.log(3), -0.25 * Math.log(3)]);
    using bf = mx.array([1, 2], { dtype: "bfloat16" });
    expect(describeArray(mx.silu(bf)).dtype).toBe("bfloat16");
  });
});
