/**
 * The attention block shared by every family; flags state what differs (q/k norms, biases, Gemma's
 * soft-capping, sliding windows, fused qkv).
 */
import * as mx from "../mlx/index.ts";
import type { LayerCache } from "./cache.ts";
import { loadLinear, loadStackedLinear, type Projection } from "./linear.ts";
import { RMSNorm } from "./norm.ts";
import type { RoPE } from "./rope.ts";
import type { WeightStore } from "./weights.ts";

export interface AttentionSpec {
  hiddenSize: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** Softmax scale; defaults to headDim ** -0.5. */
  scale: number;
  qkvBias: boolean;
  outBias: boolean;
  /** Per-head RMSNorm on queries and keys (Qwen3, Gemma 3), with its epsilon. */
  qkNorm: { eps: number; offsetOne: boolean } | null;
  slidingWindow: number | null;
  softcap: number | null;
}

/**
 * Where a forward pass's tokens sit when not at `cache.ropeOffset + i`: explicit per-token ids (`[B, L]`, or
 * `[3, B, L]` for M-RoPE), or a shift added to the cache offset (a VLM's rope delta in decode).
 */
export type RopePositions = { ids: mx.Array } | { shift: number };

type Qkv = { q: Projection; k: Projection; v: Projection } | { fused: Projection };

export class Attention {
  /** Projections, q/k norms and RoPE held natively: a step's attention input is one call, its output one more. */
  readonly #native: mx.NativeAttention;

  constructor(
    readonly spec: AttentionSpec,
    readonly qkv: Qkv,
    readonly o: Projection,
    readonly qNorm: RMSNorm | null,
    readonly kNorm: RMSNorm | null,
    readonly rope: RoPE,
  ) {
    this.#native = nativeBlock(spec, qkv, o, qNorm, kNorm, rope);
  }

  static load(store: WeightStore, prefix: string, spec: AttentionSpec, rope: RoPE): Attention {
    const { hiddenSize: d, numHeads: h, numKvHeads: kv, headDim: hd } = spec;
    let qkv: Qkv;
    // q, k and v quantized alike load as one stacked projection (one product a layer where there were three).
    const stacked = store.has(`${prefix}.qkv_proj.weight`) ? null
      : loadStackedLinear(store, ["q_proj", "k_proj", "v_proj"].map((p) => `${prefix}.${p}`), d, [h * hd, kv * hd, kv * hd],
        spec.qkvBias);
    if (stacked) {
      qkv = { fused: stacked };
    } else if (store.has(`${prefix}.qkv_proj.weight`)) {
      qkv = { fused: loadLinear(store, `${prefix}.qkv_proj`, d, (h + 2 * kv) * hd, spec.qkvBias) };
    } else {
      qkv = {
        q: loadLinear(store, `${prefix}.q_proj`, d, h * hd, spec.qkvBias),
        k: loadLinear(store, `${prefix}.k_proj`, d, kv * hd, spec.qkvBias),
        v: loadLinear(store, `${prefix}.v_proj`, d, kv * hd, spec.qkvBias),
      };
    }
    const o = loadLinear(store, `${prefix}.o_proj`, h * hd, d, spec.outBias);
    const n = spec.qkNorm;
    const qNorm = n ? RMSNorm.load(store, `${prefix}.q_norm`, hd, n.eps, n.offsetOne) : null;
    const kNorm = n ? RMSNorm.load(store, `${prefix}.k_norm`, hd, n.eps, n.offsetOne) : null;
    return new Attention(spec, qkv, o, qNorm, kNorm, rope);
  }

  /**
   * x: [B, L, hidden] -> [B, L, hidden]; with `lastOnly`, [B, 1, hidden]: keys and values of all L positions go
   * to the cache, but only the last position is queried (the cache must accept fewer queries than new keys,
   * {@link LayerCache.suffixQueries}).
   */
  forward(x: mx.Array, cache: LayerCache, positions?: RopePositions, lastOnly = false): mx.Array {
    if (fusable(positions, lastOnly)) return this.#fused(x, null, cache, shiftOf(positions));
    const [B, L] = x.shape as [number, number];
    const Lq = lastOnly ? 1 : L;
    const { numHeads, numKvHeads, headDim } = this.spec;
    const [q0, k0, v0] = this.#project(x, L - Lq);
    using q = this.#heads(q0, B, Lq, numHeads, this.qNorm); // [B, H, Lq, D]
    using k = this.#heads(k0, B, L, numKvHeads, this.kNorm); // [B, Hkv, L, D]
    using v = this.#heads(v0, B, L, numKvHeads, null);
    const [qr, kr] = this.#rotate(q, k, cache, positions, L - Lq);
    using _qr = qr;
    using _kr = kr;
    using out = cache.attend(qr, kr, v, {
      scale: this.spec.scale,
      slidingWindow: this.spec.slidingWindow,
      softcap: this.spec.softcap,
    });
    using ot = mx.transpose(out, [0, 2, 1, 3]);
    using flat = mx.reshape(ot, [B, Lq, numHeads * headDim]);
    return this.o.forward(flat);
  }

  /** `forward(norm(x), ...)`, with the norm inside the first native call where the fused path serves. */
  forwardNormed(x: mx.Array, norm: RMSNorm, cache: LayerCache, positions?: RopePositions, lastOnly = false): mx.Array {
    if (fusable(positions, lastOnly)) return this.#fused(x, norm, cache, shiftOf(positions));
    using n = norm.forward(x);
    return this.forward(n, cache, positions, lastOnly);
  }

  /**
   * Every query, RoPE from the cache's offset (plus `shift`): the whole block in one native call where the cache
   * takes it (`attendBlock`); else q, k, v in one native call (the same ops as the path below), the cache write
   * and attention, then the output projection in one more.
   */
  #fused(x: mx.Array, norm: RMSNorm | null, cache: LayerCache, shift: number): mx.Array {
    const opts = { scale: this.spec.scale, slidingWindow: this.spec.slidingWindow, softcap: this.spec.softcap };
    const whole = shift === 0 ? cache.attendBlock?.(this.#native, x, norm, opts) : null;
    if (whole) return whole;
    const base = cache.ropeOffset;
    using shifted = shift !== 0 && typeof base !== "number" ? mx.add(base, shift) : null;
    const offset = shifted ?? (typeof base === "number" ? base + shift : base);
    const [q, k, v] = mx.attentionQkv(this.#native, x, norm, offset); // [B, H, L, D], [B, Hkv, L, D] x2
    using _q = q;
    using _k = k;
    using _v = v;
    using out = cache.attend(q, k, v, opts);
    return mx.attentionOut(this.#native, out);
  }

  /** RoPE on q (whose first position is `qStart` positions after k's) and k. */
  #rotate(q: mx.Array, k: mx.Array, cache: LayerCache, positions: RopePositions | undefined, qStart: number): [mx.Array, mx.Array] {
    if (positions && "ids" in positions) {
      using qIds = qStart === 0 ? null : suffix(positions.ids, qStart);
      return [this.rope.forwardAt(q, qIds ?? positions.ids), this.rope.forwardAt(k, positions.ids)];
    }
    const base = cache.ropeOffset;
    const shift = positions?.shift ?? 0;
    if (typeof base === "number") return [this.rope.forward(q, base + shift + qStart), this.rope.forward(k, base + shift)];
    using offset = shift === 0 ? null : mx.add(base, shift);
    using qOffset = qStart === 0 ? null : mx.add(offset ?? base, qStart);
    return [this.rope.forward(q, qOffset ?? offset ?? base), this.rope.forward(k, offset ?? base)];
  }

  /** q, k, v of `x` [B, L, hidden]; q only from position `qStart` on. */
  #project(x: mx.Array, qStart: number): [mx.Array, mx.Array, mx.Array] {
    if (!("fused" in this.qkv)) {
      using xq = qStart === 0 ? null : suffix(x, qStart, 1);
      return [this.qkv.q.forward(xq ?? x), this.qkv.k.forward(x), this.qkv.v.forward(x)];
    }
    const { numHeads: h, numKvHeads: kv, headDim: hd } = this.spec;
    using all = this.qkv.fused.forward(x);
    const [q, k, v] = mx.split(all, [h * hd, (h + kv) * hd], -1) as [mx.Array, mx.Array, mx.Array];
    if (qStart === 0) return [q, k, v];
    using _q = q;
    return [suffix(q, qStart, 1), k, v];
  }

  /** [B, L, H*D] -> [B, H, L, D], normalizing each head first when asked. Consumes `x`. */
  #heads(x: mx.Array, B: number, L: number, H: number, norm: RMSNorm | null): mx.Array {
    using _x = x;
    using r = mx.reshape(x, [B, L, H, this.spec.headDim]);
    using n = norm ? norm.forward(r) : null;
    return mx.transpose(n ?? r, [0, 2, 1, 3]);
  }
}

/** Whether the fused path serves: RoPE from the cache's offset (no explicit positions) and every query. */
function fusable(positions: RopePositions | undefined, lastOnly: boolean): boolean {
  return !lastOnly && !(positions && "ids" in positions);
}

function shiftOf(positions: RopePositions | undefined): number {
  return positions && "shift" in positions ? positions.shift : 0;
}

function nativeBlock(spec: AttentionSpec, qkv: Qkv, o: Projection, qNorm: RMSNorm | null, kNorm: RMSNorm | null,
  rope: RoPE): mx.NativeAttention {
  if ((qNorm === null) !== (kNorm === null) || (qNorm && kNorm && qNorm.eps !== kNorm.eps)) {
    throw new RangeError("q_norm and k_norm come together, with one epsilon");
  }
  const [q, k, v] = "fused" in qkv ? [qkv.fused.native, null, null] : [qkv.q.native, qkv.k.native, qkv.v.native];
  const { dims, traditional, base, scale, freqs, inputScale } = rope;
  return new mx.NativeAttention({
    q, k, v, o: o.native,
    qkNorm: qNorm && kNorm ? { q: qNorm.weight, k: kNorm.weight, eps: qNorm.eps } : null,
    numHeads: spec.numHeads, numKvHeads: spec.numKvHeads, headDim: spec.headDim,
    rope: { dims, traditional, base, scale, freqs, inputScale },
  });
}

/** `x` from index `start` on along `axis` (default: the last). */
export function suffix(x: mx.Array, start: number, axis = x.ndim - 1): mx.Array {
  const stop = [...x.shape];
  const begin = stop.map((_, i) => (i === axis ? start : 0));
  return mx.slice(x, begin, stop);
}
