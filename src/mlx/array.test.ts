import { describe, expect, test } from "bun:test";
import * as mx from "./index.ts";

describe("array basics", () => {
  test("round-trips every LLM dtype through host buffers", () => {
    const cases: [mx.Dtype, number[]][] = [
      ["float32", [1.5, -2.25, 3, 0]],
      ["float16", [1.5, -2.25, 3, 65504]],
      ["bfloat16", [1.5, -2.25, 3, 256]],
      ["int32", [1, -2, 2147483647, -2147483648]],
      ["uint32", [0, 1, 4294967295, 7]],
      ["uint8", [0, 1, 255, 7]],
      ["bool", [1, 0, 1, 1]],
    ];
    for (const [dtype, values] of cases) {
      using a = mx.array(values, { dtype, shape: [2, 2] });
      expect(a.dtype).toBe(dtype);
      expect(a.shape).toEqual([2, 2]);
      expect(a.toList()).toEqual(values);
    }
  });

  test("matmul and add give known values", () => {
    using a = mx.array([[1, 2], [3, 4]], { dtype: "float32" });
    using b = mx.array([[5, 6], [7, 8]], { dtype: "float32" });
    using c = mx.matmul(a, b);
    expect(c.toList()).toEqual([19, 22, 43, 50]);
    using d = mx.add(c, a);
    expect(d.toList()).toEqual([20, 24, 46, 54]);
  });

  test("a shape mismatch is an MlxError and the process lives on", () => {
    using a = mx.array([[1, 2, 3]], { dtype: "float32" });
    let err: unknown;
    try {
      mx.matmul(a, a);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(mx.MlxError);
    expect((err as mx.MlxError).op).toBe("mlx_matmul");
    expect((err as mx.MlxError).mlxMessage).toContain("[matmul]");
    using ok = mx.add(a, a);
    expect(ok.toList()).toEqual([2, 4, 6]);
  });

  test("dispose frees the native handle", () => {
    const before = mx.info().liveArrays;
    const a = mx.array([1, 2, 3]);
    expect(mx.info().liveArrays).toBe(before + 1);
    a.dispose();
    a.dispose();
    expect(mx.info().liveArrays).toBe(before);
    expect(() => a.shape).toThrow(mx.MlxError);
  });

  test("shapes of every rank: scalars, the common ranks, and ranks past the one-call slot (16)", () => {
    using s = mx.scalar(3);
    expect(s.shape).toEqual([]);
    using m = mx.zeros([2, 3, 4], "float32");
    expect(m.shape).toEqual([2, 3, 4]);
    const big = Array.from({ length: 18 }, (_, i) => (i % 3) + 1);
    using b = mx.zeros(big, "int8");
    expect(b.shape).toEqual(big);
    expect(b.size).toBe(big.reduce((x, y) => x * y, 1));
  });
});
