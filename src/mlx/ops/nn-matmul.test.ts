import { describe, expect, test } from "bun:test";
import * as mx from "../index.ts";
import { expectClose, matmulRef, roundBf16, seeded } from "./nn-test-util.ts";

describe("matmul family", () => {
  test("matmul of known 2x2 matrices", () => {
    using a = mx.array([[1, 2], [3, 4]], { dtype: "float32" });
    using b = mx.array([[5, 6], [7, 8]], { dtype: "float32" });
    using y = mx.matmul(a, b);
    expect(y.shape).toEqual([2, 2]);
    expect(y.toList()).toEqual([19, 22, 43, 50]);
  });

  test("matmul broadcasts batch dimensions", () => {
    using a = mx.array([1, 0, 0, 1, 2, 0, 0, 2], { shape: [2, 2, 2], dtype: "float32" });
    using b = mx.array([[1, 2], [3, 4]], { dtype: "float32" });
    using y = mx.matmul(a, b);
    expect(y.shape).toEqual([2, 2, 2]);
    expect(y.toList()).toEqual([1, 2, 3, 4, 2, 4, 6, 8]);
  });

  test("addmm computes beta * c + alpha * a @ b", () => {
    using a = mx.array([[1, 2], [3, 4]], { dtype: "float32" });
    using b = mx.array([[5, 6], [7, 8]], { dtype: "float32" });
    using c = mx.array([[1, -1], [2, 10]], { dtype: "float32" });
    using y = mx.addmm(c, a, b, 2, 0.5);
    expect(y.toList()).toEqual([38.5, 43.5, 87, 105]);
    using y1 = mx.addmm(c, a, b);
    expect(y1.toList()).toEqual([20, 21, 45, 60]);
  });

  test("addmm broadcasts a bias row", () => {
    using x = mx.array([[1, 2], [3, 4]], { dtype: "float32" });
    using w = mx.array([[1, 0, 1], [0, 1, 1]], { dtype: "float32" });
    using bias = mx.array([10, 20, 30], { dtype: "float32" });
    using y = mx.addmm(bias, x, w);
    expect(y.toList()).toEqual([11, 22, 33, 13, 24, 37]);
  });

  test("bf16 matmul agrees with a float64 reference within bf16 rounding", () => {
    const [m, k, n] = [8, 32, 6];
    const a = seeded(m * k, 3).map(roundBf16);
    const b = seeded(k * n, 4).map(roundBf16);
    using xa = mx.array(a, { shape: [m, k], dtype: "bfloat16" });
    using xb = mx.array(b, { shape: [k, n], dtype: "bfloat16" });
    using y = mx.matmul(xa, xb);
    expect(y.dtype).toBe("bfloat16");
    const ref = matmulRef(a, b, m, k, n);
    // Output rounding (2^-8 relative) plus accumulation error bounded by the magnitude sum.
    expectClose(y.toList(), ref.out, (i) => 2 ** -8 * Math.abs(ref.out[i]!) + 2 ** -8 * ref.mag[i]!);
  });

  test("mismatched inner dimensions raise MlxError and the process goes on", () => {
    using a = mx.array([[1, 2, 3]], { dtype: "float32" });
    using b = mx.array([[1, 2]], { dtype: "float32" });
    expect(() => mx.matmul(a, b)).toThrow(mx.MlxError);
    using ok = mx.matmul(b, mx.array([[1], [1]], { dtype: "float32" }));
    expect(ok.toList()).toEqual([3]);
  });

  test("gatherMm picks the right-hand matrix per index", () => {
    // Two experts: identity and doubling; tokens routed to experts [1, 0, 1].
    using experts = mx.array([1, 0, 0, 1, 2, 0, 0, 2], { shape: [2, 2, 2], dtype: "float32" });
    using x = mx.array([1, 2, 3, 4, 5, 6], { shape: [3, 1, 2], dtype: "float32" });
    using idx = mx.array([1, 0, 1], { dtype: "uint32" });
    using y = mx.gatherMm(x, experts, { rhsIndices: idx });
    expect(y.shape).toEqual([3, 1, 2]);
    expect(y.toList()).toEqual([2, 4, 3, 4, 10, 12]);
  });
});
