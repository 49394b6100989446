/** MLX's fused kernels (`mlx::core::fast`): norms, rotary embeddings and attention. */
import { Array } from "../array.ts";
import { MlxError } from "../errors.ts";
import { N, OUT, take } from "../ffi/call.ts";
import { type Stream, streamHandle as S } from "../stream.ts";
import { cstr, optFloat, optHandle } from "./nn-args.ts";

/**
 * `x / sqrt(mean(x^2, -1) + eps) * weight` over the last axis. On a CPU stream, in float32, float16 or bfloat16,
 * one primitive of vmlx's (MLX builds it from basic ops there), rounding where MLX's own would.
 *
 * @example
 *   mx.rmsNorm(h, layer.inputNorm, 1e-6)
 */
export function rmsNorm(x: Array, weight: Array | null, eps: number, s?: Stream): Array {
  return new Array(take("mlx_fast_rms_norm", N.mlx_fast_rms_norm(OUT, x._h, optHandle(weight), eps, S(s))));
}

/**
 * `(x - mean) / sqrt(var + eps) * weight + bias` over the last axis.
 *
 * @example
 *   mx.layerNorm(h, gamma, beta, 1e-5)
 */
export function layerNorm(x: Array, weight: Array | null, bias: Array | null, eps: number, s?: Stream): Array {
  const st = N.mlx_fast_layer_norm(OUT, x._h, optHandle(weight), optHandle(bias), eps, S(s));
  return new Array(take("mlx_fast_layer_norm", st));
}

export interface RopeOptions {
  /** Rotate adjacent pairs (x0, x1) instead of the two halves. Default false. */
  traditional?: boolean;
  /** Frequency base; null when `freqs` is given. Default 10000. */
  base?: number | null;
  /** Position scale. Default 1. */
  scale?: number;
  /** Position of the first row along axis -2: one number, or an int32 Array with one offset per batch row. */
  offset?: number | Array;
  /** Custom inverse frequencies `[dims / 2]` (then `base` must be null). */
  freqs?: Array | null;
}

/**
 * Rotary position embedding of the first `dims` features of `x` (`[B, H, L, D]`), positions along axis -2. On a CPU
 * stream, in float32, float16 or bfloat16, one primitive of vmlx's (MLX builds it from basic ops there).
 *
 * @example
 *   mx.rope(q, 128, { base: 1e6, offset: cache.offset })
 *   mx.rope(q, 128, { offset: mx.array([5, 17], { dtype: "int32" }) }) // per-sequence offsets
 */
export function rope(x: Array, dims: number, opts: RopeOptions = {}, s?: Stream): Array {
  const traditional = opts.traditional ?? false;
  const base = optFloat(opts.freqs ? null : opts.base === undefined ? 10000 : opts.base);
  const scale = opts.scale ?? 1;
  const freqs = optHandle(opts.freqs);
  const offset = opts.offset ?? 0;
  if (typeof offset === "number") {
    if (!Number.isInteger(offset)) throw new MlxError("mlx_fast_rope", `offset must be an integer, got ${offset}`);
    const st = N.mlx_fast_rope(OUT, x._h, dims, traditional, base, scale, offset, freqs, S(s));
    return new Array(take("mlx_fast_rope", st));
  }
  const st = N.mlx_fast_rope_dynamic(OUT, x._h, dims, traditional, base, scale, offset._h, freqs, S(s));
  return new Array(take("mlx_fast_rope_dynamic", st));
}

export interface AttentionOptions {
  /** "causal" (bottom-right aligned), or a boolean / additive mask broadcastable to `[B, H, Lq, Lk]`. */
  mask?: "causal" | Array | null;
  /** Attention sinks: one logit per head `[H]` that joins the softmax but attends to nothing. */
  sinks?: Array | null;
  /**
   * `"mlx"`: MLX's fused op; `"kernel"`: vmlx's CPU kernel (float32, float16 or bfloat16, one dtype, summing in
   * float32; no mask array, no sinks; an MlxError elsewhere); `"auto"` (default): the kernel where it applies, else
   * MLX's op. MLX's CPU fallback multiplies through its wheel's BLAS (the reference netlib BLAS on Linux), which is
   * slow.
   */
  path?: "auto" | "mlx" | "kernel";
}

/**
 * `softmax(q @ k.T * scale + mask) @ v` with grouped-query support (`q`: `[B, Hq, Lq, D]`, `k`/`v`:
 * `[B, Hkv, Lk, D]`, Hq a multiple of Hkv).
 *
 * @example
 *   mx.scaledDotProductAttention(q, k, v, 1 / Math.sqrt(headDim), { mask: "causal" })
 */
export function scaledDotProductAttention(
  q: Array,
  k: Array,
  v: Array,
  scale: number,
  opts: AttentionOptions = {},
  s?: Stream,
): Array {
  const mask = opts.mask ?? null;
  const mode = cstr(mask === null ? "" : mask === "causal" ? "causal" : "array");
  const maskArr = mask === null || mask === "causal" ? null : mask._h;
  const path = cstr(opts.path ?? "auto");
  const st = N.vmlx_scaled_dot_product_attention(OUT, q._h, k._h, v._h, scale, mode, maskArr,
    optHandle(opts.sinks), path, S(s));
  return new Array(take("vmlx_scaled_dot_product_attention", st));
}
