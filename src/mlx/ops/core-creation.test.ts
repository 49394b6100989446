import { describe, expect, test } from "bun:test";
import * as mx from "../index.ts";
import { optInt } from "./core-args.ts";
import { describeArray, vals } from "./core-test-helpers.ts";

describe("creation", () => {
  test("zeros and ones take a shape and dtype (float32 by default)", () => {
    expect(describeArray(mx.zeros([2, 3]))).toEqual({ shape: [2, 3], dtype: "float32", values: [0, 0, 0, 0, 0, 0] });
    expect(describeArray(mx.ones([2], "bfloat16"))).toEqual({ shape: [2], dtype: "bfloat16", values: [1, 1] });
    expect(describeArray(mx.zeros([]))).toEqual({ shape: [], dtype: "float32", values: [0] });
  });

  test("full infers int32/float32 from the number, honours a dtype, broadcasts an array", () => {
    expect(describeArray(mx.full([2], 7))).toEqual({ shape: [2], dtype: "int32", values: [7, 7] });
    expect(describeArray(mx.full([1, 2], -Infinity))).toEqual({ shape: [1, 2], dtype: "float32", values: [-Infinity, -Infinity] });
    expect(describeArray(mx.full([2], 1.5, "float16"))).toEqual({ shape: [2], dtype: "float16", values: [1.5, 1.5] });
    using row = mx.array([1, 2], { dtype: "uint8" });
    expect(describeArray(mx.full([2, 2], row))).toEqual({ shape: [2, 2], dtype: "uint8", values: [1, 2, 1, 2] });
  });

  test("arange counts like Python's range, int32 for integers and float32 otherwise", () => {
    expect(describeArray(mx.arange(4))).toEqual({ shape: [4], dtype: "int32", values: [0, 1, 2, 3] });
    expect(vals(mx.arange(2, 11, 3))).toEqual([2, 5, 8]);
    expect(describeArray(mx.arange(0, 1, 0.25))).toEqual({ shape: [4], dtype: "float32", values: [0, 0.25, 0.5, 0.75] });
    expect(describeArray(mx.arange(3, undefined, 1, "bfloat16"))).toEqual({ shape: [3], dtype: "bfloat16", values: [0, 1, 2] });
  });

  test("astype converts values (truncating toward zero into integers)", () => {
    using a = mx.array([1.75, -2.5, 3]);
    expect(describeArray(mx.astype(a, "int32"))).toEqual({ shape: [3], dtype: "int32", values: [1, -2, 3] });
    expect(describeArray(mx.astype(a, "bfloat16"))).toEqual({ shape: [3], dtype: "bfloat16", values: [1.75, -2.5, 3] });
    expect(vals(mx.astype(a, "bool"))).toEqual([1, 1, 1]);
  });

  test("an unknown dtype name is a DtypeError, not a crash", () => {
    using a = mx.array([1, 2]);
    let err: unknown;
    try {
      mx.astype(a, "float8" as mx.Dtype);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(mx.DtypeError);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as mx.DtypeError).dtype).toBe("float8");
    expect((err as Error).message).toContain("unknown dtype 'float8'");
    expect(() => mx.zeros([2], "toString" as mx.Dtype)).toThrow(mx.DtypeError);
  });

  test("contiguous copies a transposed view into row-major order", () => {
    using a = mx.array([[1, 2, 3], [4, 5, 6]]);
    using t = mx.transpose(a);
    expect(describeArray(mx.contiguous(t))).toEqual({ shape: [3, 2], dtype: "int32", values: [1, 4, 2, 5, 3, 6] });
  });

  test("tril and triu keep one triangle around diagonal k", () => {
    using a = mx.ones([3, 3]);
    expect(vals(mx.tril(a))).toEqual([1, 0, 0, 1, 1, 0, 1, 1, 1]);
    expect(vals(mx.tril(a, -1))).toEqual([0, 0, 0, 1, 0, 0, 1, 1, 0]);
    expect(vals(mx.triu(a, 1))).toEqual([0, 1, 1, 0, 0, 1, 0, 0, 0]);
    expect(vals(mx.triu(a))).toEqual([1, 1, 1, 0, 1, 1, 0, 0, 1]);
  });

  test("optInt encodes mlx_optional_int {value, has_value} as a little-endian u64", () => {
    expect(optInt()).toBe(0);
    expect(optInt(0)).toBe(2 ** 32);
    expect(optInt(64)).toBe(2 ** 32 + 64);
    expect(optInt(-1)).toBe(2 ** 32 + 0xffffffff);
  });
});
