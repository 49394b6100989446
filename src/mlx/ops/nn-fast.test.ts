import { describe, expect, test } from "bun:test";
import * as mx from "../index.ts";
import { expectClose, seeded } from "./nn-test-util.ts";

function rmsRef(x: number[], d: number, w: number[] | null, eps: number): number[] {
  return x.map((v, i) => {
    const row = x.slice(Math.floor(i / d) * d, Math.floor(i / d) * d + d);
    const ms = row.reduce((a, b) => a + b * b, 0) / d;
    return (v / Math.sqrt(ms + eps)) * (w ? w[i % d]! : 1);
  });
}

function layerRef(x: number[], d: number, w: number[] | null, b: number[] | null, eps: number): number[] {
  return x.map((v, i) => {
    const row = x.slice(Math.floor(i / d) * d, Math.floor(i / d) * d + d);
    const mean = row.reduce((a, c) => a + c, 0) / d;
    const variance = row.reduce((a, c) => a + (c - mean) ** 2, 0) / d;
    return ((v - mean) / Math.sqrt(variance + eps)) * (w ? w[i % d]! : 1) + (b ? b[i % d]! : 0);
  });
}

/** RoPE of rows `[L, D]` starting at position `offset`: rotates the first `dims` features. */
function ropeRef(x: number[], l: number, d: number, dims: number, o: { offset: number; base?: number;
  scale?: number; traditional?: boolean }): number[] {
  const out = [...x];
  const half = dims / 2;
  for (let r = 0; r < l; r++) {
    const pos = (o.offset + r) * (o.scale ?? 1);
    for (let i = 0; i < half; i++) {
      const theta = pos * (o.base ?? 10000) ** (-(2 * i) / dims);
      const [a, b] = o.traditional ? [r * d + 2 * i, r * d + 2 * i + 1] : [r * d + i, r * d + i + half];
      out[a] = x[a]! * Math.cos(theta) - x[b]! * Math.sin(theta);
      out[b] = x[a]! * Math.sin(theta) + x[b]! * Math.cos(theta);
    }
  }
  return out;
}

interface AttnCase { hq: number; hkv: number; lq: number; lk: number; d: number }

/** softmax(q k^T * scale + mask) v per head, with an optional sink logit per head. */
function sdpaRef(q: number[], k: number[], v: number[], c: AttnCase, scale: number,
  mask: (i: number, j: number) => number, sinks?: number[]): number[] {
  const out: number[] = [];
  for (let h = 0; h < c.hq; h++) {
    const kh = Math.floor(h / (c.hq / c.hkv));
    for (let i = 0; i < c.lq; i++) {
      const logits = Array.from({ length: c.lk }, (_, j) => {
        let dot = 0;
        for (let t = 0; t < c.d; t++) dot += q[(h * c.lq + i) * c.d + t]! * k[(kh * c.lk + j) * c.d + t]!;
        return dot * scale + mask(i, j);
      });
      const all = sinks ? [...logits, sinks[h]!] : logits;
      const m = Math.max(...all);
      const denom = all.reduce((a, x) => a + Math.exp(x - m), 0);
      for (let t = 0; t < c.d; t++) {
        out.push(logits.reduce((a, x, j) => a + (Math.exp(x - m) / denom) * v[(kh * c.lk + j) * c.d + t]!, 0));
      }
    }
  }
  return out;
}

describe("rmsNorm / layerNorm", () => {
  const x = seeded(3 * 16, 5).map((v) => v * 3);
  const w = seeded(16, 6);
  test("rmsNorm with a weight matches the formula", () => {
    using xa = mx.array(x, { shape: [3, 16], dtype: "float32" });
    using wa = mx.array(w, { dtype: "float32" });
    using y = mx.rmsNorm(xa, wa, 1e-5);
    expectClose(y.toList(), rmsRef(x, 16, w, 1e-5), 1e-5);
  });
  test("rmsNorm without a weight", () => {
    using xa = mx.array(x, { shape: [3, 16], dtype: "float32" });
    using y = mx.rmsNorm(xa, null, 1e-6);
    expectClose(y.toList(), rmsRef(x, 16, null, 1e-6), 1e-5);
  });
  test("layerNorm with and without affine parameters", () => {
    const b = seeded(16, 8);
    using xa = mx.array(x, { shape: [3, 16], dtype: "float32" });
    using wa = mx.array(w, { dtype: "float32" });
    using ba = mx.array(b, { dtype: "float32" });
    using y = mx.layerNorm(xa, wa, ba, 1e-5);
    expectClose(y.toList(), layerRef(x, 16, w, b, 1e-5), 1e-5);
    using y0 = mx.layerNorm(xa, null, null, 1e-5);
    expectClose(y0.toList(), layerRef(x, 16, null, null, 1e-5), 1e-5);
  });
});

describe("rope", () => {
  const [L, D] = [3, 8];
  const rows = [seeded(L * D, 30), seeded(L * D, 31)];
  test("scalar offset matches the formula (half-split and traditional, partial dims)", () => {
    using x = mx.array(rows[0]!, { shape: [1, 1, L, D], dtype: "float32" });
    using y = mx.rope(x, D, { offset: 3 });
    expectClose(y.toList(), ropeRef(rows[0]!, L, D, D, { offset: 3 }), 1e-5);
    using yt = mx.rope(x, 4, { traditional: true, base: 500, scale: 0.5, offset: 2 });
    expectClose(yt.toList(), ropeRef(rows[0]!, L, D, 4, { offset: 2, base: 500, scale: 0.5, traditional: true }),
      1e-5);
  });

  test("per-row offsets agree row-wise with scalar offsets and the formula", () => {
    const offsets = [3, 11];
    using batch = mx.array([...rows[0]!, ...rows[1]!], { shape: [2, 1, L, D], dtype: "float32" });
    using off = mx.array(offsets, { dtype: "int32" });
    using y = mx.rope(batch, D, { offset: off });
    expect(y.shape).toEqual([2, 1, L, D]);
    const got = y.toList();
    offsets.forEach((o, b) => {
      using xb = mx.array(rows[b]!, { shape: [1, 1, L, D], dtype: "float32" });
      using yb = mx.rope(xb, D, { offset: o });
      const part = got.slice(b * L * D, (b + 1) * L * D);
      expectClose(part, yb.toList(), 1e-6);
      expectClose(part, ropeRef(rows[b]!, L, D, D, { offset: o }), 1e-5);
    });
  });

  test("custom frequencies equal to base^(2i/dims) reproduce the base form", () => {
    using x = mx.array(rows[1]!, { shape: [1, 1, L, D], dtype: "float32" });
    using freqs = mx.array(Array.from({ length: D / 2 }, (_, i) => 10000 ** ((2 * i) / D)), { dtype: "float32" });
    using y = mx.rope(x, D, { freqs, offset: 5 });
    expectClose(y.toList(), ropeRef(rows[1]!, L, D, D, { offset: 5 }), 1e-4);
  });

  test("a fractional offset is a typed error", () => {
    using x = mx.array(rows[0]!, { shape: [1, 1, L, D], dtype: "float32" });
    expect(() => mx.rope(x, D, { offset: 1.5 })).toThrow(mx.MlxError);
  });
});

describe("scaledDotProductAttention", () => {
  function inputs(c: AttnCase, seed: number) {
    const q = seeded(c.hq * c.lq * c.d, seed);
    const k = seeded(c.hkv * c.lk * c.d, seed + 1);
    const v = seeded(c.hkv * c.lk * c.d, seed + 2);
    const arrays = [
      mx.array(q, { shape: [1, c.hq, c.lq, c.d], dtype: "float32" }),
      mx.array(k, { shape: [1, c.hkv, c.lk, c.d], dtype: "float32" }),
      mx.array(v, { shape: [1, c.hkv, c.lk, c.d], dtype: "float32" }),
    ] as const;
    return { q, k, v, arrays };
  }
  const none = () => 0;

  test("no mask, grouped-query heads", () => {
    const c = { hq: 4, hkv: 2, lq: 3, lk: 3, d: 4 };
    const { q, k, v, arrays: [qa, ka, va] } = inputs(c, 40);
    using y = mx.scaledDotProductAttention(qa, ka, va, 0.5);
    expect(y.shape).toEqual([1, 4, 3, 4]);
    expectClose(y.toList(), sdpaRef(q, k, v, c, 0.5, none), 1e-5);
  });

  test("causal mask, square and with queries at the end of a longer key sequence", () => {
    for (const c of [{ hq: 2, hkv: 1, lq: 3, lk: 3, d: 4 }, { hq: 2, hkv: 1, lq: 2, lk: 5, d: 4 }]) {
      const { q, k, v, arrays: [qa, ka, va] } = inputs(c, 50);
      using y = mx.scaledDotProductAttention(qa, ka, va, 0.5, { mask: "causal" });
      const causal = (i: number, j: number) => (j <= i + c.lk - c.lq ? 0 : -Infinity);
      expectClose(y.toList(), sdpaRef(q, k, v, c, 0.5, causal), 1e-5);
    }
  });

  test("boolean and additive array masks", () => {
    const c = { hq: 2, hkv: 2, lq: 2, lk: 3, d: 4 };
    const { q, k, v, arrays: [qa, ka, va] } = inputs(c, 60);
    const keep = [1, 0, 1, 1, 1, 0];
    using boolMask = mx.array(keep, { shape: [c.lq, c.lk], dtype: "bool" });
    using yb = mx.scaledDotProductAttention(qa, ka, va, 0.5, { mask: boolMask });
    expectClose(yb.toList(), sdpaRef(q, k, v, c, 0.5, (i, j) => (keep[i * c.lk + j] ? 0 : -Infinity)), 1e-5);
    const add = [0.5, -1, 0, 2, 0, -0.25];
    using addMask = mx.array(add, { shape: [c.lq, c.lk], dtype: "float32" });
    using ya = mx.scaledDotProductAttention(qa, ka, va, 0.5, { mask: addMask });
    expectClose(ya.toList(), sdpaRef(q, k, v, c, 0.5, (i, j) => add[i * c.lk + j]!), 1e-5);
  });

  test("attention sinks join the softmax denominator", () => {
    const c = { hq: 2, hkv: 1, lq: 3, lk: 3, d: 4 };
    const { q, k, v, arrays: [qa, ka, va] } = inputs(c, 70);
    const sinkLogits = [0.3, -0.7];
    using sinks = mx.array(sinkLogits, { dtype: "float32" });
    using y = mx.scaledDotProductAttention(qa, ka, va, 0.5, { mask: "causal", sinks });
    const causal = (i: number, j: number) => (j <= i ? 0 : -Infinity);
    expectClose(y.toList(), sdpaRef(q, k, v, c, 0.5, causal, sinkLogits), 1e-5);
  });

  test("mismatched head dimensions raise MlxError", () => {
    using q = mx.array(seeded(8), { shape: [1, 1, 2, 4], dtype: "float32" });
    using k = mx.array(seeded(6), { shape: [1, 1, 2, 3], dtype: "float32" });
    expect(() => mx.scaledDotProductAttention(q, k, k, 1)).toThrow(mx.MlxError);
  });
});
