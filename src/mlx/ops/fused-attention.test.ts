/** The fused attention helpers against the unfused op sequences, bit for bit, on random inputs. */
import { describe, expect, test } from "bun:test";
import * as mx from "../index.ts";
import { disposeAll, expectBitEqual, projection, rand, refLinear, type TestProjection } from "./fused-testing.ts";

interface Case {
  name: string;
  dtype: mx.Dtype;
  fusedQkv: boolean;
  quantized: boolean;
  bias: boolean;
  qkNorm: boolean;
  inputNorm: boolean;
  rope: Omit<mx.RopeParams, "freqs"> & { freqs: boolean };
  /** [B, L]; a flattened step is [T, 1] with per-row offsets. */
  batch: [number, number];
  offset: number | number[];
}

const H = 4;
const KV = 2;
const HD = 64;
const D = 128;

const CASES: Case[] = [
  { name: "Qwen-like: separate 4-bit qkv with biases, q/k norms, input norm, linear scaling", dtype: "bfloat16",
    fusedQkv: false, quantized: true, bias: true, qkNorm: true, inputNorm: true, batch: [2, 3], offset: 5,
    rope: { dims: HD, traditional: false, base: 1e6, scale: 0.5, freqs: false, inputScale: 1 } },
  { name: "a flattened step: fused dense qkv, per-row offsets, custom freqs, partial rotary with an input scale",
    dtype: "float32", fusedQkv: true, quantized: false, bias: false, qkNorm: false, inputNorm: false, batch: [5, 1],
    offset: [0, 3, 17, 4, 9], rope: { dims: HD / 2, traditional: false, base: null, scale: 1, freqs: true, inputScale: 1.2 } },
  { name: "traditional RoPE over the whole head with an input scale, offset 0", dtype: "bfloat16", fusedQkv: false,
    quantized: false, bias: false, qkNorm: true, inputNorm: true, batch: [1, 4], offset: 0,
    rope: { dims: HD, traditional: true, base: 10000, scale: 1, freqs: false, inputScale: 0.7 } },
];

/** RoPE as src/nn/rope.ts applies it: yarn/longrope's input scale on the rotated features, then mx.rope. */
function refRope(x: mx.Array, r: mx.RopeParams, offset: number | mx.Array): mx.Array {
  const rope = (y: mx.Array) =>
    mx.rope(y, r.dims, { traditional: r.traditional, base: r.freqs ? null : r.base, scale: r.scale, offset, freqs: r.freqs });
  if (r.inputScale === 1) return rope(x);
  const d = x.shape[x.ndim - 1]!;
  if (d === r.dims) {
    using s = mx.multiply(x, r.inputScale);
    return rope(s);
  }
  const [head, tail] = mx.split(x, [r.dims], -1) as [mx.Array, mx.Array];
  using _h = head;
  using _t = tail;
  using hs = mx.multiply(head, r.inputScale);
  using c = mx.concatenate([hs, tail], -1);
  return rope(c);
}

/** [B, L, H*D] -> [B, H, L, D], normalizing each head first when asked. */
function refHeads(x: mx.Array, B: number, L: number, heads: number, norm: mx.Array | null, eps: number): mx.Array {
  using r = mx.reshape(x, [B, L, heads, HD]);
  using n = norm ? mx.rmsNorm(r, norm, eps) : null;
  return mx.transpose(n ?? r, [0, 2, 1, 3]);
}

describe("mx.attentionQkv and mx.attentionOut", () => {
  for (const c of CASES) {
    test(`${c.name}: equals the unfused ops`, () => {
      const proj = (out: number, seed: number) => projection(D, out, c.dtype, { quantized: c.quantized, bias: c.bias, seed });
      const ps: TestProjection[] = c.fusedQkv ? [proj((H + 2 * KV) * HD, 1)] : [proj(H * HD, 1), proj(KV * HD, 2), proj(KV * HD, 3)];
      const o = projection(H * HD, D, c.dtype, { quantized: c.quantized, bias: c.bias, seed: 4 });
      using qn = rand([HD], c.dtype, 20);
      using kn = rand([HD], c.dtype, 21);
      using inNorm = rand([D], c.dtype, 22);
      using freqs = c.rope.freqs ? mx.uniform(0.001, 1, [c.rope.dims / 2]) : null;
      const rope: mx.RopeParams = { ...c.rope, freqs };
      using block = new mx.NativeAttention({
        q: ps[0]!.native, k: ps[1]?.native ?? null, v: ps[2]?.native ?? null, o: o.native,
        qkNorm: c.qkNorm ? { q: qn, k: kn, eps: 1e-6 } : null, numHeads: H, numKvHeads: KV, headDim: HD, rope,
      });
      const [B, L] = c.batch;
      using x = rand([B, L, D], c.dtype, 30);
      using offsets = typeof c.offset === "number" ? null : mx.array(c.offset, { dtype: "int32" });
      const offset = offsets ?? (c.offset as number);
      const norm = c.inputNorm ? { weight: inNorm, eps: 1e-5 } : null;
      const [q, k, v] = mx.attentionQkv(block, x, norm, offset);
      using _q = q;
      using _k = k;
      using _v = v;

      using n = norm ? mx.rmsNorm(x, inNorm, 1e-5) : null;
      const xn = n ?? x;
      const parts = c.fusedQkv ? (() => {
        using all = refLinear(ps[0]!, xn);
        return mx.split(all, [H * HD, (H + KV) * HD], -1);
      })() : ps.map((p) => refLinear(p, xn));
      using qh = refHeads(parts[0]!, B, L, H, c.qkNorm ? qn : null, 1e-6);
      using kh = refHeads(parts[1]!, B, L, KV, c.qkNorm ? kn : null, 1e-6);
      using vh = refHeads(parts[2]!, B, L, KV, null, 0);
      for (const p of parts) p.dispose();
      using wantQ = refRope(qh, rope, offset);
      using wantK = refRope(kh, rope, offset);
      expect(q.shape).toEqual([B, H, L, HD]);
      expectBitEqual(q, wantQ);
      expectBitEqual(k, wantK);
      expectBitEqual(v, vh);

      using attn = rand([B, H, L, HD], c.dtype, 31);
      using got = mx.attentionOut(block, attn);
      using t = mx.transpose(attn, [0, 2, 1, 3]);
      using flat = mx.reshape(t, [B, L, H * HD]);
      using want = refLinear(o, flat);
      expectBitEqual(got, want);
      disposeAll(...ps, o);
    });
  }

  test("bad input is an MlxError: a 2-D x, a fractional offset, a 3-D attention output, k without v", () => {
    const q = projection(D, H * HD, "float32", { quantized: false, bias: false, seed: 1 });
    const kv = projection(D, KV * HD, "float32", { quantized: false, bias: false, seed: 2 });
    const rope: mx.RopeParams = { dims: HD, traditional: false, base: 10000, scale: 1, freqs: null, inputScale: 1 };
    const spec = { q: q.native, k: kv.native, v: kv.native, o: q.native, qkNorm: null, numHeads: H, numKvHeads: KV, headDim: HD, rope };
    using block = new mx.NativeAttention(spec);
    using x2 = rand([3, D], "float32", 1);
    expect(() => mx.attentionQkv(block, x2, null, 0)).toThrow(/\[B, L, hidden\]/);
    using x3 = rand([1, 3, D], "float32", 1);
    expect(() => mx.attentionQkv(block, x3, null, 1.5)).toThrow(mx.MlxError);
    expect(() => mx.attentionOut(block, x3)).toThrow(/\[B, H, L, D\]/);
    expect(() => new mx.NativeAttention({ ...spec, v: null })).toThrow(/both k and v/);
    disposeAll(q, kv);
  });
});
