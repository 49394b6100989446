/**
 * KV caches. Attention asks its cache for the RoPE offset, then hands it the new keys and values and gets
 * the attention output back, so a contiguous cache and a paged one can be swapped without the model knowing.
 */
import * as mx from "../mlx/index.ts";

export interface AttendOptions {
  /** Softmax scale (usually head_dim ** -0.5). */
  scale: number;
  /** Attend only to the last `slidingWindow` positions (including the query's own). */
  slidingWindow: number | null;
  /** Gemma 2's tanh soft-capping of attention logits. */
  softcap: number | null;
}

/** One layer's cache, as attention sees it. */
export interface LayerCache {
  /** Position of the first new token: a number, or an int32 `[B]` array of per-row positions. */
  readonly ropeOffset: number | mx.Array;
  /**
   * Stores k, v (`[B, Hkv, L, D]`, RoPE applied) and returns attention of q (`[B, Hq, L, D]`) over every
   * cached position so far, causally masked: `[B, Hq, L, D]`. Where {@link suffixQueries} is set, q may hold
   * only the last `Lq <= L` of the new positions (`[B, Hq, Lq, D]` in and out).
   */
  attend(q: mx.Array, k: mx.Array, v: mx.Array, opts: AttendOptions): mx.Array;
  /** attend() accepts queries for a suffix of the new positions (a prefill that needs only the last one). */
  readonly suffixQueries?: boolean;
  /**
   * The whole attention block in one native call, where this cache can take it (a paged step of decodes): x
   * `[B, 1, hidden]` (normed by `norm` first when given), RoPE at {@link ropeOffset} -> `[B, 1, hidden]`, the
   * same values as the block's q/k/v, {@link attend} and output projection. Null where it cannot.
   */
  attendBlock?(block: mx.NativeAttention, x: mx.Array, norm: mx.NormWeight | null, opts: AttendOptions): mx.Array | null;
}

const STEP = 256;

/**
 * A contiguous, growing cache for one sequence (or a batch of equal-length rows): buffers grow in steps
 * of 256 positions and new entries are written with `sliceUpdate`.
 */
export class KVCache implements LayerCache {
  #keys: mx.Array | null = null;
  #values: mx.Array | null = null;
  offset = 0;
  readonly suffixQueries = true;

  get ropeOffset(): number {
    return this.offset;
  }

  attend(q: mx.Array, k: mx.Array, v: mx.Array, opts: AttendOptions): mx.Array {
    const L = k.shape[2]!;
    const prev = this.offset;
    this.#reserve(k, v, prev + L);
    this.#keys = replace(this.#keys!, mx.sliceUpdate(this.#keys!, k, [0, 0, prev, 0], [...k.shape.slice(0, 2), prev + L, k.shape[3]!]));
    this.#values = replace(this.#values!, mx.sliceUpdate(this.#values!, v, [0, 0, prev, 0], [...v.shape.slice(0, 2), prev + L, v.shape[3]!]));
    this.offset = prev + L;
    using keys = prefix(this.#keys, this.offset);
    using values = prefix(this.#values, this.offset);
    return attention(q, keys, values, this.offset - q.shape[2]!, opts);
  }

  /** Drops everything after `length` positions (prompt-cache reuse). */
  trim(length: number): void {
    this.offset = Math.min(this.offset, length);
  }

  dispose(): void {
    this.#keys?.dispose();
    this.#values?.dispose();
    this.#keys = this.#values = null;
    this.offset = 0;
  }

  #reserve(k: mx.Array, v: mx.Array, needed: number): void {
    const capacity = this.#keys ? this.#keys.shape[2]! : 0;
    if (needed <= capacity) return;
    const grown = Math.ceil(needed / STEP) * STEP;
    const [B, H, , Dk] = k.shape as [number, number, number, number];
    const Dv = v.shape[3]!;
    const nk = mx.zeros([B, H, grown, Dk], k.dtype);
    const nv = mx.zeros([B, H, grown, Dv], v.dtype);
    if (this.#keys && this.#values && this.offset > 0) {
      using oldK = prefix(this.#keys, this.offset);
      using oldV = prefix(this.#values, this.offset);
      this.#keys = replace(this.#keys, mx.sliceUpdate(nk, oldK, [0, 0, 0, 0], [B, H, this.offset, Dk]));
      this.#values = replace(this.#values, mx.sliceUpdate(nv, oldV, [0, 0, 0, 0], [B, H, this.offset, Dv]));
      nk.dispose();
      nv.dispose();
    } else {
      this.#keys?.dispose();
      this.#values?.dispose();
      this.#keys = nk;
      this.#values = nv;
    }
  }
}

function replace(old: mx.Array, next: mx.Array): mx.Array {
  old.dispose();
  return next;
}

function prefix(buf: mx.Array, length: number): mx.Array {
  const s = buf.shape;
  return mx.slice(buf, [0, 0, 0, 0], [s[0]!, s[1]!, length, s[3]!]);
}

/** Boolean mask `[L, offset + L]`: query i (at offset + i) sees key j when j <= offset + i (and within the window). */
export function causalMask(L: number, offset: number, window: number | null): mx.Array {
  using r = mx.arange(0, offset + L, 1, "int32");
  using l0 = mx.arange(offset, offset + L, 1, "int32");
  using l = mx.expandDims(l0, [1]);
  const causal = mx.greaterEqual(l, r);
  if (window === null) return causal;
  using _causal = causal;
  using lo = mx.add(r, window);
  using inWindow = mx.less(l, lo);
  return mx.logicalAnd(causal, inWindow);
}

/**
 * The attention math shared by every cache: fused SDPA where it applies, else an explicit softmax path
 * (soft-capping). `prev` is the number of positions cached before these queries.
 */
export function attention(q: mx.Array, k: mx.Array, v: mx.Array, prev: number, opts: AttendOptions): mx.Array {
  const L = q.shape[2]!;
  const windowed = opts.slidingWindow !== null && prev + L > opts.slidingWindow;
  if (opts.softcap === null) {
    if (!windowed) {
      return mx.scaledDotProductAttention(q, k, v, opts.scale, L > 1 ? { mask: "causal" } : {});
    }
    using mask = causalMask(L, prev, opts.slidingWindow);
    return mx.scaledDotProductAttention(q, k, v, opts.scale, { mask });
  }
  using mask = L > 1 || opts.slidingWindow !== null ? causalMask(L, prev, opts.slidingWindow) : null;
  return softcappedAttention(q, k, v, mask, opts.scale, opts.softcap);
}

/** The most negative finite value of a float dtype (masking with it keeps softmax finite). */
export function finfoMin(dtype: mx.Dtype): number {
  if (dtype === "float16") return -65504;
  if (dtype === "bfloat16") return -3.3895313892515355e38;
  return -3.4028234663852886e38;
}

/**
 * Gemma 2's attention: explicit softmax over tanh-capped logits, grouped-query. `mask` (boolean, or null for
 * none) must broadcast to the scores `[B, Hkv, Hq/Hkv, L, ctx]`.
 */
export function softcappedAttention(q: mx.Array, k: mx.Array, v: mx.Array, mask: mx.Array | null, scale: number,
  cap: number): mx.Array {
  const [B, Hq, L, D] = q.shape as [number, number, number, number];
  const Hkv = k.shape[1]!;
  using qs = mx.multiply(q, scale);
  using q5 = mx.reshape(qs, [B, Hkv, Hq / Hkv, L, D]);
  using k5 = mx.expandDims(k, [2]);
  using v5 = mx.expandDims(v, [2]);
  using kt = mx.swapaxes(k5, -1, -2);
  using s0 = mx.matmul(q5, kt);
  using s1 = mx.divide(s0, cap);
  using s2 = mx.tanh(s1);
  using s3 = mx.multiply(s2, cap);
  using masked = mask ? mx.where(mask, s3, finfoMin(s3.dtype)) : null;
  using p = mx.softmax(masked ?? s3, -1, true);
  using o = mx.matmul(p, v5);
  return mx.reshape(o, [B, Hq, L, D]);
}
