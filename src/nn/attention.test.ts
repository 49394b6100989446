/**
 * The shared attention layer against a naive reference written with plain MLX ops (matmuls, an explicit
 * masked softmax, host-computed RoPE angles): random weights, the flags each family sets, several shapes.
 * Ours runs chunk by chunk through a contiguous KVCache; the reference attends over the whole sequence at once
 * under a causal mask, so the chunks also check the cache offsets and RoPE positions.
 */
import { describe, expect, test } from "bun:test";
import * as mx from "../mlx/index.ts";
import { Attention, type AttentionSpec } from "./attention.ts";
import { KVCache } from "./cache.ts";
import { makeRope } from "./rope.ts";
import { maxAbs, maxAbsDiff, naiveLinear, naiveRmsNorm, naiveRope, randn, Scope } from "./testing.ts";
import { WeightStore } from "./weights.ts";

const ROPE_BASE = 10000;

interface Variant {
  name: string;
  B: number;
  /** Chunk lengths fed one after another (the last ones are decodes when 1). */
  chunks: number[];
  spec: AttentionSpec;
  /** Phi-3 stores one `qkv_proj`. */
  fused: boolean;
}

function spec(hiddenSize: number, numHeads: number, numKvHeads: number, headDim: number,
  overrides: Partial<AttentionSpec> = {}): AttentionSpec {
  return {
    hiddenSize, numHeads, numKvHeads, headDim, scale: headDim ** -0.5, qkvBias: false, outBias: false, qkNorm: null,
    slidingWindow: null, softcap: null, ...overrides,
  };
}

const VARIANTS: Variant[] = [
  { name: "Llama: GQA 4/2, head 16", B: 2, chunks: [5, 3, 1], spec: spec(64, 4, 2, 16), fused: false },
  { name: "Llama: MHA 2/2, head 64", B: 1, chunks: [7, 1, 1], spec: spec(128, 2, 2, 64), fused: false },
  { name: "Llama with attention_bias: q/k/v and o biases", B: 2, chunks: [4, 4], fused: false,
    spec: spec(64, 4, 2, 16, { qkvBias: true, outBias: true }) },
  { name: "Qwen2: q/k/v biases, MQA 4/1, head 32", B: 2, chunks: [6, 1, 1], fused: false,
    spec: spec(64, 4, 1, 32, { qkvBias: true }) },
  { name: "Qwen3: q/k norms, GQA 8/2", B: 1, chunks: [3, 5, 1], fused: false,
    spec: spec(96, 8, 2, 16, { qkNorm: { eps: 1e-6, offsetOne: false } }) },
  { name: "Gemma 3: (1 + w) q/k norms, query_pre_attn_scalar, sliding window 4", B: 2, chunks: [6, 3, 1], fused: false,
    spec: spec(64, 4, 2, 16, { scale: 24 ** -0.5, qkNorm: { eps: 1e-6, offsetOne: true }, slidingWindow: 4 }) },
  { name: "Gemma 2: soft-capping 50, sliding window 4", B: 1, chunks: [6, 2, 1], fused: false,
    spec: spec(64, 4, 2, 16, { scale: 16 ** -0.5, softcap: 50, slidingWindow: 4 }) },
  { name: "Gemma 2: soft-capping 1.5 (capping dominates), global", B: 2, chunks: [5, 1, 1], fused: false,
    spec: spec(64, 4, 2, 16, { softcap: 1.5 }) },
  { name: "Phi-3: fused qkv_proj, MHA 4/4, head 64", B: 1, chunks: [4, 3, 1], fused: true, spec: spec(128, 4, 4, 64) },
];

interface Weights {
  q: mx.Array;
  k: mx.Array;
  v: mx.Array;
  o: mx.Array;
  qb: mx.Array | null;
  kb: mx.Array | null;
  vb: mx.Array | null;
  ob: mx.Array | null;
  qNorm: mx.Array | null;
  kNorm: mx.Array | null;
}

function randomWeights(s: AttentionSpec, seed: number): Weights {
  const { hiddenSize: D, numHeads: H, numKvHeads: Hkv, headDim: hd } = s;
  const w = (out: number, inp: number, i: number) => randn([out, inp], seed * 100 + i, inp ** -0.5);
  const b = (out: number, i: number) => randn([out], seed * 100 + i, 0.5);
  // Norm weights near their identity (1, or 0 for Gemma's stored w of 1 + w) but not equal to it.
  const n = (i: number) => randn([hd], seed * 100 + i, 0.2, s.qkNorm?.offsetOne ? 0 : 1);
  return {
    q: w(H * hd, D, 1), k: w(Hkv * hd, D, 2), v: w(Hkv * hd, D, 3), o: w(D, H * hd, 4),
    qb: s.qkvBias ? b(H * hd, 5) : null, kb: s.qkvBias ? b(Hkv * hd, 6) : null, vb: s.qkvBias ? b(Hkv * hd, 7) : null,
    ob: s.outBias ? b(D, 8) : null,
    qNorm: s.qkNorm ? n(9) : null, kNorm: s.qkNorm ? n(10) : null,
  };
}

/** The checkpoint tensors of one attention layer under `self_attn.`, as the families name them. */
function storeOf(w: Weights, fused: boolean): WeightStore {
  const t = new Map<string, mx.Array>();
  const p = "self_attn";
  if (fused) {
    t.set(`${p}.qkv_proj.weight`, mx.concatenate([w.q, w.k, w.v], 0));
    if (w.qb && w.kb && w.vb) t.set(`${p}.qkv_proj.bias`, mx.concatenate([w.qb, w.kb, w.vb], 0));
  } else {
    for (const [name, weight, bias] of [["q", w.q, w.qb], ["k", w.k, w.kb], ["v", w.v, w.vb]] as const) {
      t.set(`${p}.${name}_proj.weight`, weight);
      if (bias) t.set(`${p}.${name}_proj.bias`, bias);
    }
  }
  t.set(`${p}.o_proj.weight`, w.o);
  if (w.ob) t.set(`${p}.o_proj.bias`, w.ob);
  if (w.qNorm && w.kNorm) {
    t.set(`${p}.q_norm.weight`, w.qNorm);
    t.set(`${p}.k_norm.weight`, w.kNorm);
  }
  return new WeightStore(t, new Map([...t.keys()].map((k) => [k, "test"])), null);
}

/** Visible[i][j]: query position i sees key position j (causal, and within the window when there is one). */
function maskOf(T: number, window: number | null): mx.Array {
  const visible: boolean[] = [];
  for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) visible.push(j <= i && (window === null || i - j < window));
  return mx.array(visible, { dtype: "bool", shape: [T, T] });
}

/** Full-sequence attention of x `[B, T, D]` from scratch: -> `[B, T, D]`. */
function naiveAttention(x: mx.Array, w: Weights, s: AttentionSpec): mx.Array {
  using sc = new Scope();
  const [B, T] = x.shape as [number, number];
  const { numHeads: H, numKvHeads: Hkv, headDim: hd } = s;
  const heads = (y: mx.Array, n: number, norm: mx.Array | null) => {
    let r = sc.k(mx.reshape(y, [B, T, n, hd]));
    if (norm && s.qkNorm) {
      const weight = s.qkNorm.offsetOne ? sc.k(mx.add(norm, 1)) : norm;
      r = sc.k(naiveRmsNorm(r, weight, s.qkNorm.eps));
    }
    return sc.k(mx.transpose(r, [0, 2, 1, 3])); // [B, n, T, hd]
  };
  const q = sc.k(naiveRope(heads(sc.k(naiveLinear(x, w.q, w.qb)), H, w.qNorm), ROPE_BASE));
  const k = sc.k(naiveRope(heads(sc.k(naiveLinear(x, w.k, w.kb)), Hkv, w.kNorm), ROPE_BASE));
  const v = heads(sc.k(naiveLinear(x, w.v, w.vb)), Hkv, null);
  // GQA: query head h reads kv head floor(h / (H / Hkv)).
  const kr = sc.k(mx.repeat(k, H / Hkv, 1));
  const vr = sc.k(mx.repeat(v, H / Hkv, 1));
  let scores = sc.k(mx.multiply(sc.k(mx.matmul(q, sc.k(mx.swapaxes(kr, -1, -2)))), s.scale)); // [B, H, T, T]
  if (s.softcap !== null) scores = sc.k(mx.multiply(sc.k(mx.tanh(sc.k(mx.divide(scores, s.softcap)))), s.softcap));
  const masked = sc.k(mx.where(sc.k(maskOf(T, s.slidingWindow)), scores, -Infinity));
  const out = sc.k(mx.matmul(sc.k(mx.softmax(masked, -1)), vr)); // [B, H, T, hd]
  const flat = sc.k(mx.reshape(sc.k(mx.transpose(out, [0, 2, 1, 3])), [B, T, H * hd]));
  return naiveLinear(flat, w.o, w.ob);
}

/**
 * Ours: the layer loaded from the tensors, fed `chunks` in turn through one KVCache; outputs concatenated. With
 * `lastOnly`, each prefill chunk is queried at its last position only (as a prefill's last layer runs), optionally
 * at explicit RoPE ids: the outputs are then `[B, chunks, D]`, each chunk's last position.
 */
function chunkedAttention(x: mx.Array, w: Weights, v: Variant, lastOnly?: { explicitIds: boolean }): mx.Array {
  using sc = new Scope();
  const attention = Attention.load(storeOf(w, v.fused), "self_attn", v.spec, makeRope(v.spec.headDim, ROPE_BASE, false, null, 4096));
  const cache = new KVCache();
  const [B, , D] = x.shape as [number, number, number];
  const outs: mx.Array[] = [];
  let start = 0;
  for (const L of v.chunks) {
    const chunk = sc.k(mx.slice(x, [0, start, 0], [B, start + L, D]));
    if (lastOnly) {
      const ids = Array.from({ length: B * L }, (_, i) => start + (i % L));
      const positions = lastOnly.explicitIds ? { ids: sc.k(mx.array(ids, { dtype: "int32", shape: [B, L] })) } : undefined;
      const out = sc.k(attention.forward(chunk, cache, positions, true));
      expect(out.shape).toEqual([B, 1, D]);
      outs.push(out);
    } else {
      outs.push(sc.k(attention.forward(chunk, cache)));
    }
    start += L;
  }
  expect(cache.offset).toBe(start);
  cache.dispose();
  return mx.concatenate(outs, 1);
}

/** The rows of `x` `[B, T, D]` at each chunk's last position: `[B, chunks, D]`. */
function chunkEnds(x: mx.Array, chunks: number[]): mx.Array {
  let end = 0;
  using idx = mx.array(chunks.map((L) => (end += L) - 1), { dtype: "int32" });
  return mx.take(x, idx, 1);
}

/** fp32, outputs of magnitude ~1; measured differences are at most about 1.1e-6 (summation order). */
const TOLERANCE = 1e-5;

describe("Attention matches a naive reference", () => {
  VARIANTS.forEach((v, i) => {
    test(`${v.name}: B=${v.B}, chunks ${v.chunks.join("+")}`, () => {
      const T = v.chunks.reduce((a, b) => a + b, 0);
      using x = randn([v.B, T, v.spec.hiddenSize], 1000 + i);
      const w = randomWeights(v.spec, i + 1);
      using want = naiveAttention(x, w, v.spec);
      using got = chunkedAttention(x, w, v);
      expect(got.shape).toEqual([v.B, T, v.spec.hiddenSize]);
      expect(maxAbs(want)).toBeGreaterThan(0.1);
      expect(maxAbsDiff(got, want)).toBeLessThan(TOLERANCE);
      for (const a of Object.values(w)) a?.dispose();
    });
  });

  VARIANTS.forEach((v, i) => {
    test(`${v.name}: only each chunk's last query (lastOnly), RoPE from the cache offset and at explicit ids`, () => {
      const T = v.chunks.reduce((a, b) => a + b, 0);
      using x = randn([v.B, T, v.spec.hiddenSize], 1000 + i);
      const w = randomWeights(v.spec, i + 1);
      using full = naiveAttention(x, w, v.spec);
      using want = chunkEnds(full, v.chunks);
      for (const explicitIds of [false, true]) {
        using got = chunkedAttention(x, w, v, { explicitIds });
        expect(maxAbsDiff(got, want)).toBeLessThan(TOLERANCE);
      }
      for (const a of Object.values(w)) a?.dispose();
    });
  });

  test("the reference notices a wrong mask: a window of 4 differs from global attention", () => {
    const v = VARIANTS.find((x) => x.spec.slidingWindow !== null)!;
    using x = randn([v.B, 10, v.spec.hiddenSize], 7);
    const w = randomWeights(v.spec, 3);
    using windowed = naiveAttention(x, w, v.spec);
    using global = naiveAttention(x, w, { ...v.spec, slidingWindow: null });
    expect(maxAbsDiff(windowed, global)).toBeGreaterThan(1e-2);
    for (const a of Object.values(w)) a?.dispose();
  });
});
