import { describe, expect, test } from "bun:test";
import * as mx from "../index.ts";
import { expectClose, matmulRef, seeded } from "./nn-test-util.ts";

const K = 256; // in features: divisible by every group size and packs whole words at 2-8 bits
const OUT_F = 8;

function quantized(groupSize: number, bits: number) {
  using w = mx.array(seeded(OUT_F * K, 7 + bits), { shape: [OUT_F, K], dtype: "float32" });
  return mx.quantize(w, { groupSize, bits });
}

describe("quantize / dequantize", () => {
  test("shapes and dtypes of the affine triplet", () => {
    const { wq, scales, biases } = quantized(64, 4);
    expect(wq.shape).toEqual([OUT_F, (K * 4) / 32]);
    expect(wq.dtype).toBe("uint32");
    expect(scales.shape).toEqual([OUT_F, K / 64]);
    expect(biases?.shape).toEqual([OUT_F, K / 64]);
    for (const a of [wq, scales, biases!]) a.dispose();
  });

  // MLX aligns each group so that its larger-magnitude edge is exactly representable (bias = edge,
  // scale = edge / round(edge / scale0)); values beyond the opposite end of the grid are clipped. So the
  // bound is scale/2 inside the grid [bias, bias + scale * (2^bits - 1)], plus the clipped distance outside
  // it, and that distance is itself at most one scale.
  for (const bits of [2, 3, 4, 6, 8]) {
    for (const groupSize of [32, 64, 128]) {
      test(`roundtrip error is at most scale/2 on the grid (bits ${bits}, group ${groupSize})`, () => {
        const src = seeded(OUT_F * K, 7 + bits);
        const { wq, scales, biases } = quantized(groupSize, bits);
        using deq = mx.dequantize(wq, scales, biases, { groupSize, bits });
        expect(deq.shape).toEqual([OUT_F, K]);
        expect(deq.dtype).toBe("float32");
        const [s, b] = [scales.toList(), biases!.toList()];
        const group = (i: number) => Math.floor(i / K) * (K / groupSize) + Math.floor((i % K) / groupSize);
        const top = 2 ** bits - 1;
        const clipped = src.map((w, i) => {
          const [e0, e1] = [b[group(i)]!, b[group(i)]! + s[group(i)]! * top];
          return Math.min(Math.max(w, Math.min(e0, e1)), Math.max(e0, e1));
        });
        const halfStep = (i: number) => Math.abs(s[group(i)]!) * 0.5 * (1 + 1e-4) + 1e-6;
        expectClose(deq.toList(), clipped, halfStep);
        expectClose(clipped, src, (i) => Math.abs(s[group(i)]!) * (1 + 1e-4));
        for (const a of [wq, scales, biases!]) a.dispose();
      });
    }
  }

  test("dequantize honours an output dtype", () => {
    const { wq, scales, biases } = quantized(64, 8);
    using deq = mx.dequantize(wq, scales, biases, { groupSize: 64, bits: 8, dtype: "bfloat16" });
    expect(deq.dtype).toBe("bfloat16");
    for (const a of [wq, scales, biases!]) a.dispose();
  });

  test("an invalid group size raises MlxError", () => {
    using w = mx.array(seeded(4 * 64), { shape: [4, 64], dtype: "float32" });
    expect(() => mx.quantize(w, { groupSize: 48, bits: 4 })).toThrow(mx.MlxError);
  });
});

describe("quantizedMatmul", () => {
  for (const bits of [2, 3, 4, 6, 8]) {
    for (const groupSize of [32, 64, 128]) {
      for (const m of [1, 5]) {
        test(`equals dequantize-then-matmul (bits ${bits}, group ${groupSize}, ${m} rows)`, () => {
          const { wq, scales, biases } = quantized(groupSize, bits);
          const xs = seeded(m * K, 100 + m);
          using x = mx.array(xs, { shape: [m, K], dtype: "float32" });
          using deq = mx.dequantize(wq, scales, biases, { groupSize, bits });
          using y = mx.quantizedMatmul(x, wq, scales, biases, { groupSize, bits });
          expect(y.shape).toEqual([m, OUT_F]);
          const ref = matmulRef(xs, deq.toList(), m, K, OUT_F, true);
          expectClose(y.toList(), ref.out, (i) => 1e-4 * ref.mag[i]!);
          for (const a of [wq, scales, biases!]) a.dispose();
        });
      }
    }
  }

  test("transpose: false multiplies by the dequantized matrix itself", () => {
    // w: [K, N] quantized along N.
    const n = 64;
    using w = mx.array(seeded(K * n, 11), { shape: [K, n], dtype: "float32" });
    const { wq, scales, biases } = mx.quantize(w, { groupSize: 32, bits: 4 });
    using x = mx.array(seeded(3 * K, 12), { shape: [3, K], dtype: "float32" });
    using deq = mx.dequantize(wq, scales, biases, { groupSize: 32, bits: 4 });
    using want = mx.matmul(x, deq);
    using y = mx.quantizedMatmul(x, wq, scales, biases, { transpose: false, groupSize: 32, bits: 4 });
    const ref = matmulRef(x.toList(), deq.toList(), 3, K, n);
    expectClose(y.toList(), want.toList(), (i) => 1e-4 * ref.mag[i]!);
    for (const a of [wq, scales, biases!]) a.dispose();
  });

  test("scale-only mode (mxfp4): no biases, and the matmul equals dequantize-then-matmul", () => {
    using w = mx.array(seeded(OUT_F * K, 31), { shape: [OUT_F, K], dtype: "float32" });
    const { wq, scales, biases } = mx.quantize(w, { groupSize: 32, bits: 4, mode: "mxfp4" });
    expect(biases).toBeNull();
    const opts = { groupSize: 32, bits: 4, mode: "mxfp4" } as const;
    using deq = mx.dequantize(wq, scales, null, opts);
    const xs = seeded(2 * K, 32);
    using x = mx.array(xs, { shape: [2, K], dtype: "float32" });
    using y = mx.quantizedMatmul(x, wq, scales, null, opts);
    const ref = matmulRef(xs, deq.toList(), 2, K, OUT_F, true);
    expectClose(y.toList(), ref.out, (i) => 1e-4 * ref.mag[i]!);
    wq.dispose();
    scales.dispose();
  });

  test("gatherQmm routes each row to its expert", () => {
    const experts = 3;
    using w = mx.array(seeded(experts * OUT_F * K, 21), { shape: [experts, OUT_F, K], dtype: "float32" });
    const { wq, scales, biases } = mx.quantize(w, { groupSize: 64, bits: 4 });
    using deq = mx.dequantize(wq, scales, biases, { groupSize: 64, bits: 4 });
    const deqAll = deq.toList();
    const xs = seeded(4 * K, 22);
    using x = mx.array(xs, { shape: [4, 1, K], dtype: "float32" });
    const route = [2, 0, 2, 1];
    using idx = mx.array(route, { dtype: "uint32" });
    using y = mx.gatherQmm(x, wq, scales, biases, { rhsIndices: idx, groupSize: 64, bits: 4 });
    expect(y.shape).toEqual([4, 1, OUT_F]);
    const got = y.toList();
    route.forEach((e, t) => {
      const we = deqAll.slice(e * OUT_F * K, (e + 1) * OUT_F * K);
      const ref = matmulRef(xs.slice(t * K, (t + 1) * K), we, 1, K, OUT_F, true);
      expectClose(got.slice(t * OUT_F, (t + 1) * OUT_F), ref.out, (i) => 1e-4 * ref.mag[i]!);
    });
    for (const a of [wq, scales, biases!]) a.dispose();
  });
});
