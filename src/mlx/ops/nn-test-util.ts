/** Deterministic inputs and float comparisons shared by the nn op tests. */
import { expect } from "bun:test";
import * as mx from "../index.ts";

/** `n` pseudo-random numbers in [-1, 1) from a fixed seed (a 32-bit LCG). */
export function seeded(n: number, seed = 1): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** Row-major `[m, k] @ [k, n]` (or `b` as `[n, k]` with `bT`) in float64, with the magnitude sum per output. */
export function matmulRef(a: number[], b: number[], m: number, k: number, n: number, bT = false) {
  const out = new Array<number>(m * n).fill(0);
  const mag = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      for (let p = 0; p < k; p++) {
        const prod = a[i * k + p]! * (bT ? b[j * k + p]! : b[p * n + j]!);
        out[i * n + j]! += prod;
        mag[i * n + j]! += Math.abs(prod);
      }
    }
  }
  return { out, mag };
}

/** Every `got[i]` lies within `tol(i)` of `want[i]`. */
export function expectClose(got: number[], want: number[], tol: number | ((i: number) => number)): void {
  expect(got.length).toBe(want.length);
  const bound = typeof tol === "number" ? () => tol : tol;
  const bad = got.findIndex((g, i) => !(Math.abs(g - want[i]!) <= bound(i)));
  if (bad >= 0) {
    throw new Error(`element ${bad}: got ${got[bad]}, want ${want[bad]} (tolerance ${bound(bad)})`);
  }
}

/** Rounds to the nearest bfloat16 (ties to even), as MLX does when casting. */
export function roundBf16(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  u[0] = ((u[0]! + 0x7fff + ((u[0]! >>> 16) & 1)) >>> 16) << 16;
  return f[0]!;
}

/**
 * A seeded `[n, k]` weight in `dtype`, quantized on `s`, with `deq`: the weight a kernel multiplies by, s * q + b in
 * float32 (MLX's dequantize computes in the scales' dtype, so it gets float32 copies of them). Dispose it.
 */
export function quantizedWeights(bits: number, groupSize: number, dtype: mx.Dtype, n: number, k: number, s: mx.Stream) {
  using w32 = mx.array(seeded(n * k, 11 + bits + groupSize).map((v) => v * 0.2), { shape: [n, k], dtype: "float32" });
  using w = mx.astype(w32, dtype, s);
  const q = mx.quantize(w, { groupSize, bits }, s);
  using s32 = mx.astype(q.scales, "float32", s);
  using b32 = mx.astype(q.biases!, "float32", s);
  using deq = mx.dequantize(q.wq, s32, b32, { groupSize, bits }, s);
  return { ...q, deq: deq.toList(), [Symbol.dispose]: () => [q.wq, q.scales, q.biases!].forEach((a) => a.dispose()) };
}

/** A seeded `[m, k]` input in `dtype` on `s`, with its values as float32 numbers (`x` is the caller's to dispose). */
export function quantizedInput(m: number, dtype: mx.Dtype, k: number, s: mx.Stream) {
  using x32 = mx.array(seeded(m * k, 3 + m), { shape: [m, k], dtype: "float32" });
  const x = mx.astype(x32, dtype, s);
  using back = mx.astype(x, "float32", s);
  return { x, values: back.toList() };
}

/** `x @ dequantize(w).T` on `s` through `path`, as float32 values with the result's dtype and shape. */
export function quantizedProduct(x: mx.Array, w: ReturnType<typeof quantizedWeights>, bits: number, groupSize: number,
  path: mx.QuantizedMatmulPath, s: mx.Stream) {
  using y = mx.quantizedMatmul(x, w.wq, w.scales, w.biases, { groupSize, bits, path }, s);
  using y32 = mx.astype(y, "float32", s);
  return { dtype: y.dtype, shape: y.shape, values: y32.toList() };
}
