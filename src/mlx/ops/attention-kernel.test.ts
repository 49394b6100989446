/**
 * vmlx's float32 CPU attention kernel (`path: "kernel"`) against MLX's fused op (`path: "mlx"`): no mask and
 * causal, grouped-query heads, prefill (L > 1, queries at the last L key positions) and decode (L = 1), head
 * dims that are and are not multiples of 8. Tolerance 2e-5 absolute on outputs of magnitude ~1 (float32 sums
 * in another order). The kernel serves CPU streams only, so every op here runs on `cpu` (MLX's op too): the tests
 * mean the same on the CPU, Metal and CUDA builds.
 */
import { describe, expect, test } from "bun:test";
import * as mx from "../index.ts";
import { expectClose, seeded } from "./nn-test-util.ts";

const cpu = mx.cpuStream();

function tensor(shape: number[], seed: number): mx.Array {
  return mx.array(seeded(shape.reduce((a, b) => a * b, 1), seed), { shape, dtype: "float32" });
}

describe("CPU attention kernel", () => {
  for (const [B, H, Hkv, L, S, D] of [[1, 9, 3, 17, 17, 64], [2, 4, 4, 5, 40, 36], [1, 6, 2, 1, 123, 64], [1, 2, 1, 3, 9, 8]]) {
    for (const mask of [undefined, "causal"] as const) {
      test(`B ${B}, H ${H}/${Hkv}, L ${L}, S ${S}, D ${D}, mask ${mask ?? "none"}`, () => {
        using q = tensor([B!, H!, L!, D!], 1);
        using k = tensor([B!, Hkv!, S!, D!], 2);
        using v = tensor([B!, Hkv!, S!, D!], 3);
        const scale = 1 / Math.sqrt(D!);
        using ours = mx.scaledDotProductAttention(q, k, v, scale, { mask, path: "kernel" }, cpu);
        using theirs = mx.scaledDotProductAttention(q, k, v, scale, { mask, path: "mlx" }, cpu);
        expect(ours.shape).toEqual([B!, H!, L!, D!]);
        expectClose(ours.toList(), theirs.toList(), 2e-5);
      });
    }
  }

  test("k and v as views: a cache buffer's first positions (read in place) and keys transposed from [.., D, S] (copied)", () => {
    const [B, H, Hkv, L, S, D, cap] = [2, 6, 2, 1, 37, 16, 64];
    using q = tensor([B, H, L, D], 4);
    using kbuf = tensor([B, Hkv, cap, D], 5);
    using vbuf = tensor([B, Hkv, cap, D], 6);
    using k = mx.slice(kbuf, [0, 0, 0, 0], [B, Hkv, S, D], undefined, cpu);
    using v = mx.slice(vbuf, [0, 0, 0, 0], [B, Hkv, S, D], undefined, cpu);
    using kdense = mx.contiguous(k, false, cpu);
    using vdense = mx.contiguous(v, false, cpu);
    using kt0 = tensor([B, Hkv, D, S], 7);
    using kt = mx.swapaxes(kt0, 2, 3, cpu);
    using ktDense = mx.contiguous(kt, false, cpu);
    for (const mask of [undefined, "causal"] as const) {
      using ours = mx.scaledDotProductAttention(q, k, v, 0.25, { mask, path: "kernel" }, cpu);
      using dense = mx.scaledDotProductAttention(q, kdense, vdense, 0.25, { mask, path: "mlx" }, cpu);
      expectClose(ours.toList(), dense.toList(), 2e-5);
      using oursT = mx.scaledDotProductAttention(q, kt, v, 0.25, { mask, path: "kernel" }, cpu);
      using denseT = mx.scaledDotProductAttention(q, ktDense, vdense, 0.25, { mask, path: "mlx" }, cpu);
      expectClose(oursT.toList(), denseT.toList(), 2e-5);
    }
  });

  test("float16 and bfloat16: the kernel (float32 sums) within a rounding of the dtype of a float64 attention", () => {
    const [B, H, Hkv, L, S, D] = [1, 4, 2, 3, 40, 32];
    for (const [dtype, tol] of [["float16", 2e-3], ["bfloat16", 1.6e-2]] as const) {
      using q = mx.astype(tensor([B, H, L, D], 8), dtype, cpu);
      using k = mx.astype(tensor([B, Hkv, S, D], 9), dtype, cpu);
      using v = mx.astype(tensor([B, Hkv, S, D], 10), dtype, cpu);
      using qf = mx.astype(q, "float32", cpu);
      using kf = mx.astype(k, "float32", cpu);
      using vf = mx.astype(v, "float32", cpu);
      using ours = mx.scaledDotProductAttention(q, k, v, 0.2, { mask: "causal", path: "kernel" }, cpu);
      using exact = mx.scaledDotProductAttention(qf, kf, vf, 0.2, { mask: "causal", path: "kernel" }, cpu);
      expect(ours.dtype).toBe(dtype);
      using back = mx.astype(ours, "float32", cpu);
      expectClose(back.toList(), exact.toList(), tol);
    }
  });

  test("kernel refuses what it does not serve; auto falls back to MLX's op", () => {
    using q = mx.astype(tensor([1, 2, 3, 8], 1), "float16", cpu);
    using k = mx.astype(tensor([1, 2, 3, 8], 2), "float32", cpu);
    using v = mx.astype(tensor([1, 2, 3, 8], 3), "float32", cpu);
    expect(() => mx.scaledDotProductAttention(q, k, v, 0.5, { path: "kernel" }, cpu)).toThrow(mx.MlxError);
    using a = mx.scaledDotProductAttention(q, k, v, 0.5, { mask: "causal" }, cpu);
    using b = mx.scaledDotProductAttention(q, k, v, 0.5, { mask: "causal", path: "mlx" }, cpu);
    expect(a.toList()).toEqual(b.toList());
  });
});
