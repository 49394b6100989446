/**
 * RMSNorm and RoPE as vmlx's CPU primitives (ffi/src/norm_rope_cpu.cpp: on a CPU stream MLX builds both from
 * basic ops) against float64 references: every RoPE form the models use (halves and pairs, partial rotation, base
 * or custom frequencies, one offset or one a batch row), inputs that are views or not yet computed; and in float16
 * and bfloat16, MLX's own fallback rebuilt op by op. Tolerances: a few float32 roundings of values of magnitude ~1.
 */
import { describe, expect, test } from "bun:test";
import * as mx from "../index.ts";
import { expectClose, seeded } from "./nn-test-util.ts";

const cpu = mx.cpuStream();

function ropeRef(x: number[], [B, H, L, D]: number[], dims: number, offsets: number[], inv: number[], scale: number,
  traditional: boolean): number[] {
  const out = [...x];
  const half = dims / 2;
  for (let b = 0; b < B!; b++) for (let h = 0; h < H!; h++) for (let l = 0; l < L!; l++) {
    const at = ((b * H! + h) * L! + l) * D!;
    const pos = (offsets[offsets.length === 1 ? 0 : b]! + l) * scale;
    for (let i = 0; i < half; i++) {
      const t = pos * inv[i]!;
      const [a, c] = traditional ? [at + 2 * i, at + 2 * i + 1] : [at + i, at + i + half];
      out[a] = x[a]! * Math.cos(t) - x[c]! * Math.sin(t);
      out[c] = x[a]! * Math.sin(t) + x[c]! * Math.cos(t);
    }
  }
  return out;
}

describe("RoPE on a CPU stream (float32 primitive)", () => {
  const cases = [
    { shape: [1, 9, 1, 64], dims: 64, traditional: false, freqs: false, offsets: [450], scale: 1 },
    { shape: [2, 3, 5, 16], dims: 16, traditional: false, freqs: false, offsets: [3, 40], scale: 1 },
    { shape: [1, 2, 7, 32], dims: 16, traditional: true, freqs: false, offsets: [0], scale: 0.5 },
    { shape: [2, 4, 3, 24], dims: 24, traditional: false, freqs: true, offsets: [9, 1], scale: 1 },
  ];
  for (const c of cases) {
    test(`${JSON.stringify(c)}`, () => {
      const n = c.shape.reduce((a, b) => a * b, 1);
      const x = seeded(n, 11);
      using xa = mx.array(x, { shape: c.shape, dtype: "float32" });
      const half = c.dims / 2;
      const periods = Array.from({ length: half }, (_, i) => 500000 ** ((2 * i) / c.dims) * (1 + 0.25 * i));
      const inv = c.freqs
        ? periods.map((p) => 1 / p)
        : Array.from({ length: half }, (_, i) => 10000 ** ((-2 * i) / c.dims));
      using f0 = mx.array(periods, { dtype: "float32" });
      using lazyFreqs = mx.multiply(f0, 1, cpu); // not computed when the rotation's graph is built
      using offs = mx.array(c.offsets, { dtype: "int32" });
      const offset = c.offsets.length === c.shape[0] && c.shape[0]! > 1 ? offs : c.offsets[0]!;
      using y = mx.rope(xa, c.dims, {
        traditional: c.traditional, base: c.freqs ? null : 10000, freqs: c.freqs ? lazyFreqs : null,
        scale: c.scale, offset,
      }, cpu);
      expect(y.shape).toEqual(c.shape);
      const pos = Math.max(...c.offsets) + c.shape[2]!;
      expectClose(y.toList().flat(4) as number[], ropeRef(x, c.shape, c.dims, c.offsets, inv, c.scale, c.traditional),
        2e-6 * Math.max(1, pos));
    });
  }

  test("a transposed input ([B, L, H, D] as [B, H, L, D]), in float32 and float16, agrees with the reference", () => {
    const [B, L, H, D] = [1, 6, 3, 16];
    const x = seeded(B * L * H * D, 12);
    using xa = mx.array(x, { shape: [B, L, H, D], dtype: "float32" });
    using xt = mx.transpose(xa, [0, 2, 1, 3], cpu);
    using dense = mx.contiguous(xt, false, cpu);
    const xd = dense.toList().flat(4) as number[];
    const inv = Array.from({ length: D / 2 }, (_, i) => 10000 ** ((-2 * i) / D));
    const want = ropeRef(xd, [B, H, L, D], D, [2], inv, 1, false);
    using y = mx.rope(xt, D, { offset: 2 }, cpu);
    expectClose(y.toList().flat(4) as number[], want, 2e-6 * 8);
    using h = mx.astype(xt, "float16", cpu);
    using yh = mx.rope(h, D, { offset: 2 }, cpu);
    expectClose(yh.toList().flat(4) as number[], want, 5e-3);
  });
});

describe("RMSNorm on a CPU stream (float32 primitive)", () => {
  function rmsRef(x: number[], d: number, w: number[] | null, eps: number): number[] {
    return x.map((v, i) => {
      const row = x.slice(Math.floor(i / d) * d, Math.floor(i / d) * d + d);
      const ms = row.reduce((a, b) => a + b * b, 0) / d;
      return (v / Math.sqrt(ms + eps)) * (w ? w[i % d]! : 1);
    });
  }

  test("rows of 576 with and without a weight, a sliced (non-contiguous) input, and an input not yet computed", () => {
    const x = seeded(3 * 2 * 576, 13);
    const w = seeded(576, 14).map((v) => 1 + v);
    using xa = mx.array(x, { shape: [3, 2, 576], dtype: "float32" });
    using wa = mx.array(w, { dtype: "float32" });
    using y = mx.rmsNorm(xa, wa, 1e-5, cpu);
    expectClose(y.toList().flat(2) as number[], rmsRef(x, 576, w, 1e-5), 2e-6);
    using y0 = mx.rmsNorm(xa, null, 1e-6, cpu);
    expectClose(y0.toList().flat(2) as number[], rmsRef(x, 576, null, 1e-6), 2e-6);
    using part = mx.slice(xa, [0, 1, 0], [3, 2, 576], undefined, cpu); // every other row
    using lazy = mx.multiply(part, 2, cpu);
    using yp = mx.rmsNorm(lazy, wa, 1e-5, cpu);
    const rows = x.filter((_, i) => Math.floor(i / 576) % 2 === 1).map((v) => 2 * v);
    expectClose(yp.toList().flat(2) as number[], rmsRef(rows, 576, w, 1e-5), 2e-6);
  });
});

/**
 * In float16 and bfloat16 the primitives round where MLX's CPU fallback (mlx/fast.cpp) rounds: the norm in float32
 * rounded to the dtype, then times the weight in the dtype; RoPE's cosines and sines rounded to the dtype, each
 * product and its difference or sum in the dtype. Here that fallback is rebuilt op by op, and the primitives must
 * agree with it to one rounding of the dtype (the sums of squares and the cosines are computed apart).
 */
describe("float16 and bfloat16 on a CPU stream: MLX's fallback, op by op", () => {
  const ULP = { float16: 2 ** -10, bfloat16: 2 ** -7 } as const;

  /** The share of elements equal bit for bit (the rest within the tolerance above). */
  function sameShare(a: number[], b: number[]): number {
    const share = a.filter((v, i) => v === b[i]).length / a.length;
    return share;
  }

  function values(a: mx.Array): number[] {
    using f = mx.astype(a, "float32", cpu);
    return f.toList().flat(4) as number[];
  }

  for (const dtype of ["bfloat16", "float16"] as const) {
    test(`RMSNorm, ${dtype}`, () => {
      const D = 96;
      using x = mx.astype(mx.array(seeded(4 * D, 21), { shape: [4, D], dtype: "float32" }), dtype, cpu);
      using w = mx.astype(mx.array(seeded(D, 22).map((v) => 1 + v), { dtype: "float32" }), dtype, cpu);
      using xf = mx.astype(x, "float32", cpu);
      using sq = mx.square(xf, cpu);
      using ms = mx.mean(sq, -1, true, cpu);
      using a = mx.add(ms, 1e-5, cpu);
      using r = mx.rsqrt(a, cpu);
      using nf = mx.multiply(xf, r, cpu);
      using n = mx.astype(nf, dtype, cpu);
      using want = mx.multiply(n, w, cpu);
      using got = mx.rmsNorm(x, w, 1e-5, cpu);
      expect(got.dtype).toBe(dtype);
      const g = values(got), e = values(want);
      expectClose(g, e, (i) => ULP[dtype] * Math.abs(e[i]!) + 1e-7);
      expect(sameShare(g, e)).toBeGreaterThanOrEqual(0.97);
    });

    for (const traditional of [false, true]) {
      test(`RoPE, ${dtype}${traditional ? ", traditional" : ""}, partial rotation at offset 300`, () => {
        const [B, H, L, D, dims, offset] = [1, 3, 4, 32, 24, 300];
        const half = dims / 2;
        using x = mx.astype(mx.array(seeded(B * H * L * D, 23), { shape: [B, H, L, D], dtype: "float32" }), dtype, cpu);
        using pos0 = mx.arange(0, L, 1, "float32", cpu);
        using pos = mx.add(pos0, offset, cpu);
        using i0 = mx.arange(0, -half, -1, "float32", cpu);
        using i1 = mx.multiply(i0, Math.fround(Math.fround(Math.log(10000)) / half), cpu);
        using inv = mx.exp(i1, cpu);
        using p2 = mx.expandDims(pos, [1], cpu);
        using theta = mx.multiply(p2, inv, cpu);
        using c0 = mx.cos(theta, cpu);
        using s0 = mx.sin(theta, cpu);
        using c = mx.astype(c0, dtype, cpu);
        using s = mx.astype(s0, dtype, cpu);
        const step = traditional ? [1, 1, 1, 2] : undefined;
        using x1 = traditional
          ? mx.slice(x, [0, 0, 0, 0], [B, H, L, dims], step, cpu)
          : mx.slice(x, [0, 0, 0, 0], [B, H, L, half], undefined, cpu);
        using x2 = traditional
          ? mx.slice(x, [0, 0, 0, 1], [B, H, L, dims], step, cpu)
          : mx.slice(x, [0, 0, 0, half], [B, H, L, dims], undefined, cpu);
        using a1 = mx.multiply(x1, c, cpu);
        using a2 = mx.multiply(x2, s, cpu);
        using o1 = mx.subtract(a1, a2, cpu);
        using b1 = mx.multiply(x1, s, cpu);
        using b2 = mx.multiply(x2, c, cpu);
        using o2 = mx.add(b1, b2, cpu);
        const v1 = values(o1), v2 = values(o2), xv = values(x);
        const want: number[] = [];
        for (let row = 0; row < B * H * L; row++) {
          const out = xv.slice(row * D, row * D + D);
          for (let i = 0; i < half; i++) {
            const [a, b] = traditional ? [2 * i, 2 * i + 1] : [i, i + half];
            out[a] = v1[row * half + i]!;
            out[b] = v2[row * half + i]!;
          }
          want.push(...out);
        }
        using got = mx.rope(x, dims, { traditional, offset }, cpu);
        expect(got.dtype).toBe(dtype);
        const g = values(got);
        expectClose(g, want, (i) => 2 * ULP[dtype] * (Math.abs(xv[i]!) + 1e-3) + 1e-7);
        expect(sameShare(g, want)).toBeGreaterThanOrEqual(0.97);
      });
    }
  }
});
