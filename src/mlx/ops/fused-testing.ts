/**
 * Shared by the fused helpers' tests: random inputs, projections, bit-for-bit comparison, and the unfused op
 * sequences (what src/nn built op by op before the fused helpers) that the fused calls must reproduce exactly.
 */
import { expect } from "bun:test";
import * as mx from "../index.ts";

/** A seeded normal array, scaled by `scale`. */
export function rand(shape: number[], dtype: mx.Dtype, seed: number, scale = 1): mx.Array {
  using key = mx.randomKey(seed);
  using x = mx.normal(shape, "float32", key, 0, scale);
  return mx.astype(x, dtype);
}

/** Same shape, dtype and bits (raw element bits, so -0 and +0 differ and NaNs compare as bits). */
export function expectBitEqual(got: mx.Array, want: mx.Array): void {
  expect(got.shape).toEqual(want.shape);
  expect(got.dtype).toBe(want.dtype);
  const g = got.toTypedArray();
  const w = want.toTypedArray();
  const bits = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  expect(Buffer.compare(bits(g), bits(w))).toBe(0);
}

export interface TestProjection {
  native: mx.NativeProjection;
  weight: mx.Array;
  quantized: { scales: mx.Array; biases: mx.Array | null; groupSize: number; bits: number } | null;
  bias: mx.Array | null;
}

/** A random `inDims -> outDims` projection, dense or 4-bit (group 64), with or without a bias. */
export function projection(inDims: number, outDims: number, dtype: mx.Dtype, opts: { quantized: boolean; bias: boolean; seed: number }): TestProjection {
  const w = rand([outDims, inDims], dtype, opts.seed, inDims ** -0.5);
  const bias = opts.bias ? rand([outDims], dtype, opts.seed + 1000, 0.1) : null;
  if (!opts.quantized) return { native: new mx.NativeProjection({ weight: w, bias }), weight: w, quantized: null, bias };
  using _w = w;
  const q = mx.quantize(w, { groupSize: 64, bits: 4 });
  const quantized = { scales: q.scales, biases: q.biases, groupSize: 64, bits: 4 };
  return { native: new mx.NativeProjection({ weight: q.wq, quantized, bias }), weight: q.wq, quantized, bias };
}

/** The unfused projection: `x` as `[M, K]` rows, `addmm`/`matmul` against `W^T` or `quantizedMatmul`, `+ bias`. */
export function refLinear(p: TestProjection, x: mx.Array): mx.Array {
  const project = (rows: mx.Array): mx.Array => {
    if (!p.quantized) {
      using wt = mx.transpose(p.weight);
      return p.bias ? mx.addmm(p.bias, rows, wt) : mx.matmul(rows, wt);
    }
    const { scales, biases, groupSize, bits } = p.quantized;
    const y = mx.quantizedMatmul(rows, p.weight, scales, biases, { transpose: true, groupSize, bits });
    if (!p.bias) return y;
    using _y = y;
    return mx.add(y, p.bias);
  };
  const shape = x.shape;
  if (shape.length <= 2) return project(x);
  using rows = mx.reshape(x, [-1, shape[shape.length - 1]!]);
  using y = project(rows);
  return mx.reshape(y, [...shape.slice(0, -1), y.shape[1]!]);
}

/** The unfused gated MLP: separate or fused (split in half) gate/up, SwiGLU or GeGLU, then down. */
export function refMlp(gate: TestProjection, up: TestProjection | null, down: TestProjection, act: mx.GatedActivation,
  x: mx.Array): mx.Array {
  let g: mx.Array;
  let u: mx.Array;
  if (!up) {
    using gu = refLinear(gate, x);
    [g, u] = mx.split(gu, 2, -1) as [mx.Array, mx.Array];
  } else {
    g = refLinear(gate, x);
    u = refLinear(up, x);
  }
  using _g = g;
  using _u = u;
  using ga = act === "silu" ? null : mx.geluApprox(g);
  using h = ga ? mx.multiply(ga, u) : mx.swiglu(g, u);
  return refLinear(down, h);
}

export function disposeAll(...ps: (TestProjection | null)[]): void {
  for (const p of ps) {
    if (!p) continue;
    p.native.dispose();
    p.weight.dispose();
    p.bias?.dispose();
    p.quantized?.scales.dispose();
    p.quantized?.biases?.dispose();
  }
}
