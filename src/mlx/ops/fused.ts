/**
 * Fused per-layer helpers (ffi/src/fused*.cpp): one native call builds what a layer's ops built one by one, with
 * the same MLX ops in the same order and dtypes, so results are bit-identical and a step makes far fewer FFI
 * calls. Projections and attention blocks are native objects made once at load time; they hold references to
 * the weight arrays they were made from (shared buffers, no copies).
 */
import type { Pointer } from "bun:ffi";
import { Array } from "../array.ts";
import { MlxError } from "../errors.ts";
import { checkHandle, N, OUT, OUT2, OUT3, take, takeTriple } from "../ffi/call.ts";
import { type Stream, streamHandle as S } from "../stream.ts";
import { optFloat, optHandle } from "./nn-args.ts";

/** A native object with one owner: `dispose()` frees it; a FinalizationRegistry is only a safety net. */
abstract class NativeObject implements Disposable {
  #handle: Pointer | null;
  readonly #free: (h: Pointer) => void;
  readonly #registry: FinalizationRegistry<Pointer>;

  protected constructor(handle: Pointer, free: (h: Pointer) => void, registry: FinalizationRegistry<Pointer>) {
    this.#handle = handle;
    this.#free = free;
    this.#registry = registry;
    registry.register(this, handle, this);
  }

  /** The native handle; throws once disposed. Internal to src/mlx/. */
  get _h(): Pointer {
    if (this.#handle === null) throw new MlxError("fused", "use after dispose");
    return this.#handle;
  }

  dispose(): void {
    const h = this.#handle;
    if (h === null) return;
    this.#handle = null;
    this.#registry.unregister(this);
    this.#free(h);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

const freeProjection = (h: Pointer) => void N.vmlx_projection_free(h);
const projections = new FinalizationRegistry<Pointer>(freeProjection);
const freeAttention = (h: Pointer) => void N.vmlx_attention_free(h);
const attentions = new FinalizationRegistry<Pointer>(freeAttention);

export interface ProjectionWeights {
  /** `[out, in]`, or packed uint32 `[out, in * bits / 32]` when quantized. */
  weight: Array;
  /** Affine quantization's scales and biases `[out, in / groupSize]`; absent for a dense projection. */
  quantized?: { scales: Array; biases: Array | null; groupSize: number; bits: number } | null;
  /** Added after the product, `[out]`. */
  bias?: Array | null;
}

/**
 * `x W^T (+ bias)` held natively. Dense: `addmm(bias, x, W^T)` or `matmul(x, W^T)`; quantized:
 * `quantizedMatmul(x, W, ...)` (the "auto" path) then `+ bias`.
 *
 * @example
 *   using p = new mx.NativeProjection({ weight: w, bias: b });
 *   const y = mx.linear(p, x); // [..., out]
 */
export class NativeProjection extends NativeObject {
  constructor(w: ProjectionWeights) {
    const q = w.quantized ?? null;
    const h = N.vmlx_projection_new(w.weight._h, optHandle(q?.scales), optHandle(q?.biases), optHandle(w.bias),
      q?.groupSize ?? 0, q?.bits ?? 0) as Pointer | null;
    super(checkHandle("vmlx_projection_new", h), freeProjection, projections);
  }
}

/**
 * The projection of `x` `[..., in]` -> `[..., out]`, run over `x` as one `[M, in]` matrix (a flattened step's
 * `[T, 1, in]` would otherwise be T matrix-vector products, reading the weights T times on CUDA).
 */
export function linear(p: NativeProjection, x: Array, s?: Stream): Array {
  return new Array(take("vmlx_linear", N.vmlx_linear(OUT, p._h, x._h, S(s))));
}

export type GatedActivation = "silu" | "gelu_approx";
const ACTIVATION: Record<GatedActivation, number> = { silu: 0, gelu_approx: 1 };

/** A gated MLP's projections: `up` null means `gate` is a fused gate_up projection, split in half. */
export interface GatedMlpProjections {
  gate: NativeProjection;
  up: NativeProjection | null;
  down: NativeProjection;
  activation: GatedActivation;
}

/**
 * `down(act(gate(x)) * up(x))`: SwiGLU (`swiglu`, compiled) or GeGLU (`geluApprox(gate) * up`).
 *
 * @example
 *   const y = mx.gatedMlp({ gate, up, down, activation: "silu" }, x);
 */
export function gatedMlp(m: GatedMlpProjections, x: Array, s?: Stream): Array {
  const st = N.vmlx_gated_mlp(OUT, m.gate._h, m.up?._h ?? null, m.down._h, ACTIVATION[m.activation], x._h, S(s));
  return new Array(take("vmlx_gated_mlp", st));
}

/** An RMSNorm's weight and epsilon. */
export interface NormWeight {
  weight: Array;
  eps: number;
}

/**
 * The MLP half of a decoder block over the attention output `r`: `h = x + norm?(r)`, then
 * `h + post?(mlp(pre(h)))` (pre-norm blocks give `pre` only; Gemma's sandwich blocks all three).
 *
 * @example
 *   const out = mx.residualMlp(mlp, x, attnOut, { pre: { weight: w, eps: 1e-5 } });
 */
export function residualMlp(
  m: GatedMlpProjections,
  x: Array,
  r: Array,
  norms: { pre: NormWeight; residual?: NormWeight | null; post?: NormWeight | null },
  s?: Stream,
): Array {
  const { pre, residual, post } = norms;
  const st = N.vmlx_residual_mlp(OUT, m.gate._h, m.up?._h ?? null, m.down._h, ACTIVATION[m.activation], x._h, r._h,
    optHandle(residual?.weight), residual?.eps ?? 0, pre.weight._h, pre.eps, optHandle(post?.weight), post?.eps ?? 0, S(s));
  return new Array(take("vmlx_residual_mlp", st));
}

/** mlx.fast.rope's arguments, plus yarn's and longrope's scaling of the rotated features first. */
export interface RopeParams {
  dims: number;
  traditional: boolean;
  /** Null when `freqs` is given. */
  base: number | null;
  scale: number;
  freqs: Array | null;
  inputScale: number;
}

export interface AttentionBlockSpec {
  /** The q projection, or the fused qkv projection when `k` and `v` are null. */
  q: NativeProjection;
  k: NativeProjection | null;
  v: NativeProjection | null;
  o: NativeProjection;
  /** Per-head RMSNorm weights `[headDim]` of queries and keys, with their epsilon. */
  qkNorm: { q: Array; k: Array; eps: number } | null;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  rope: RopeParams;
}

/**
 * An attention block's projections, q/k norms and RoPE, held natively for {@link attentionQkv} and
 * {@link attentionOut}. The cache write and the attention itself stay with the caller.
 */
export class NativeAttention extends NativeObject {
  constructor(a: AttentionBlockSpec) {
    const r = a.rope;
    if (r.base === null && r.freqs === null) throw new MlxError("vmlx_attention_new", "RoPE needs a base or freqs");
    const h = N.vmlx_attention_new(a.q._h, a.k?._h ?? null, a.v?._h ?? null, a.o._h, optHandle(a.qkNorm?.q),
      optHandle(a.qkNorm?.k), a.qkNorm?.eps ?? 0, a.numHeads, a.numKvHeads, a.headDim, r.dims, r.traditional,
      optFloat(r.freqs ? null : r.base), r.scale, optHandle(r.freqs), r.inputScale) as Pointer | null;
    super(checkHandle("vmlx_attention_new", h), freeAttention, attentions);
  }
}

/**
 * `x` `[B, L, hidden]` (RMS-normed first by `norm` when given) -> `[q, k, v]`: q `[B, H, L, D]`, k and v
 * `[B, Hkv, L, D]`, q and k rotated at `offset` (a number, or int32 `[B]` per-row offsets).
 *
 * @example
 *   const [q, k, v] = mx.attentionQkv(block, x, { weight: inputNorm, eps: 1e-5 }, cache.ropeOffset);
 */
export function attentionQkv(a: NativeAttention, x: Array, norm: NormWeight | null, offset: number | Array,
  s?: Stream): [Array, Array, Array] {
  if (typeof offset === "number" && !Number.isInteger(offset)) {
    throw new MlxError("vmlx_attention_qkv", `offset must be an integer, got ${offset}`);
  }
  const [n, o] = typeof offset === "number" ? [offset, null] : [0, offset._h];
  const st = N.vmlx_attention_qkv(OUT, OUT2, OUT3, a._h, x._h, optHandle(norm?.weight), norm?.eps ?? 0, n, o, S(s));
  const [q, k, v] = takeTriple("vmlx_attention_qkv", st);
  return [new Array(q), new Array(k), new Array(v)];
}

/** The attention output `[B, H, L, D]` -> o_proj of `[B, L, H * D]`. */
export function attentionOut(a: NativeAttention, out: Array, s?: Stream): Array {
  return new Array(take("vmlx_attention_out", N.vmlx_attention_out(OUT, a._h, out._h, S(s))));
}
