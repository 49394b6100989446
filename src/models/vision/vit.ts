/**
 * The pieces every vision tower shares: patch embedding as one matmul over flattened patches (a Conv2d or
 * Conv3d whose stride equals its kernel), the pre-norm ViT block with fused qkv, attention within
 * segments (one image or frame each), and the activations the towers use. Qwen-VL, SigLIP and CLIP differ
 * only in the flags.
 */
import * as mx from "../../mlx/index.ts";
import { Linear, loadLinear, type Projection } from "../../nn/linear.ts";
import { LayerNorm, RMSNorm } from "../../nn/norm.ts";
import { applyRotary } from "../../nn/rotary.ts";
import { WeightError, type WeightStore } from "../../nn/weights.ts";

export type VisionActivation = "gelu" | "gelu_fast" | "gelu_tanh" | "silu";
export type VisionNorm = LayerNorm | RMSNorm;

/** Exact GELU, `x * (1 + erf(x / sqrt 2)) / 2`; `gelu_fast` is `x * sigmoid(1.702 x)` (mlx's names). */
export function activate(x: mx.Array, kind: VisionActivation): mx.Array {
  switch (kind) {
    case "gelu": {
      using a = mx.divide(x, Math.SQRT2);
      using e = mx.erf(a);
      using e1 = mx.add(e, 1);
      using m = mx.multiply(x, e1);
      return mx.divide(m, 2);
    }
    case "gelu_fast": {
      using a = mx.multiply(x, 1.702);
      using s = mx.sigmoid(a);
      return mx.multiply(x, s);
    }
    case "gelu_tanh":
      return mx.geluApprox(x);
    case "silu":
      return mx.silu(x);
  }
}

/**
 * A conv whose stride equals its kernel, as a linear map over each flattened patch. The checkpoint's
 * kernel is MLX's channels-last `[out, ...kernel, C]` or PyTorch's `[out, C, ...kernel]`; either becomes
 * `[out, C * prod(kernel)]`, matching pixel patches flattened channel-first (as the Qwen processors write).
 */
export function loadPatchEmbed(store: WeightStore, prefix: string, channels: number, kernel: readonly number[], dims: number,
  bias: boolean): PatchEmbed {
  const w = store.get(`${prefix}.weight`);
  const inFeatures = channels * kernel.reduce((n, k) => n * k, 1);
  if (w.ndim !== kernel.length + 2 || w.shape[0] !== dims || w.size !== dims * inFeatures) {
    throw new WeightError(`tensor '${prefix}.weight' has shape [${w.shape.join(", ")}], expected a [${dims}, ${channels}, ${kernel.join(", ")}] kernel`);
  }
  const channelsLast = w.shape[w.ndim - 1] === channels && w.shape[1] !== channels;
  const perm = channelsLast ? [0, w.ndim - 1, ...kernel.map((_, i) => i + 1)] : null;
  using t = perm ? mx.transpose(w, perm) : null;
  const flat = mx.reshape(t ?? w, [dims, inFeatures]);
  const b = bias ? store.get(`${prefix}.bias`, [dims]) : null;
  return new PatchEmbed(mx.contiguous(flat), b);
}

/**
 * The patch embedding's linear map, taking pixels in any float dtype: they are cast to the kernel's dtype first,
 * as mlx-vlm casts `pixel_values` to its patch embedding's weight dtype, so a bfloat16 checkpoint runs its tower in
 * bfloat16 (float32 pixels would promote every product after it to float32).
 */
export class PatchEmbed extends Linear {
  override forward(x: mx.Array): mx.Array {
    if (x.dtype === this.weight.dtype) return super.forward(x);
    using typed = mx.astype(x, this.weight.dtype);
    return super.forward(typed);
  }
}

export interface VitBlockSpec {
  dims: number;
  numHeads: number;
  mlpHidden: number;
  norm: "layer" | "rms";
  normEps: number;
  activation: VisionActivation;
  /** SwiGLU-style gate/up/down (Qwen2.5-VL) instead of fc1/fc2. */
  gatedMlp: boolean;
  /** Names of the MLP's two linears when not gated: `fc1`/`fc2` or `linear_fc1`/`linear_fc2`. */
  mlpNames: [string, string];
}

export function loadNorm(store: WeightStore, name: string, dims: number, kind: "layer" | "rms", eps: number): VisionNorm {
  return kind === "layer" ? LayerNorm.load(store, name, dims, eps) : RMSNorm.load(store, name, dims, eps);
}

/** Rotary tables for the tower: cos and sin `[N, 1, headDim]`, or null for towers without RoPE. */
export type VisionRotary = { cos: mx.Array; sin: mx.Array } | null;

/** A pre-norm ViT block over `[N, dims]` with attention only within segments (cumulative lengths). */
export class VitBlock {
  private constructor(
    readonly spec: VitBlockSpec,
    readonly norm1: VisionNorm,
    readonly norm2: VisionNorm,
    readonly qkv: Projection,
    readonly proj: Projection,
    readonly mlp: Projection[],
  ) {}

  static load(store: WeightStore, prefix: string, spec: VitBlockSpec): VitBlock {
    const { dims, mlpHidden: h } = spec;
    const norm1 = loadNorm(store, `${prefix}.norm1`, dims, spec.norm, spec.normEps);
    const norm2 = loadNorm(store, `${prefix}.norm2`, dims, spec.norm, spec.normEps);
    const qkv = loadLinear(store, `${prefix}.attn.qkv`, dims, 3 * dims, true);
    const proj = loadLinear(store, `${prefix}.attn.proj`, dims, dims, true);
    const m = `${prefix}.mlp`;
    const mlp = spec.gatedMlp
      ? [loadLinear(store, `${m}.gate_proj`, dims, h, true), loadLinear(store, `${m}.up_proj`, dims, h, true), loadLinear(store, `${m}.down_proj`, h, dims, true)]
      : [loadLinear(store, `${m}.${spec.mlpNames[0]}`, dims, h, true), loadLinear(store, `${m}.${spec.mlpNames[1]}`, h, dims, true)];
    return new VitBlock(spec, norm1, norm2, qkv, proj, mlp);
  }

  /** x: [N, dims]; cuSeqlens: segment boundaries [0, ..., N]. */
  forward(x: mx.Array, cuSeqlens: readonly number[], rotary: VisionRotary): mx.Array {
    using n1 = this.norm1.forward(x);
    using a = this.#attention(n1, cuSeqlens, rotary);
    using h = mx.add(x, a);
    using n2 = this.norm2.forward(h);
    using m = this.#mlp(n2);
    return mx.add(h, m);
  }

  #attention(x: mx.Array, cuSeqlens: readonly number[], rotary: VisionRotary): mx.Array {
    const N = x.shape[0]!;
    const { numHeads: H, dims } = this.spec;
    const hd = dims / H;
    using qkv = this.qkv.forward(x);
    using r = mx.reshape(qkv, [N, 3, H, hd]);
    const [q0, k0, v0] = mx.split(r, 3, 1) as [mx.Array, mx.Array, mx.Array]; // each [N, 1, H, hd]
    using q1 = q0;
    using k1 = k0;
    using v1 = v0;
    using q2 = mx.reshape(q1, [N, H, hd]);
    using k2 = mx.reshape(k1, [N, H, hd]);
    using q = this.#rotate(q2, rotary);
    using k = this.#rotate(k2, rotary);
    using qt = mx.transpose(q, [1, 0, 2]); // [H, N, hd]
    using kt = mx.transpose(k, [1, 0, 2]);
    using vt = mx.transpose(v1, [1, 2, 0, 3]); // [1, H, N, hd]
    using q4 = mx.expandDims(qt, [0]);
    using k4 = mx.expandDims(kt, [0]);
    using out = segmentAttention(q4, k4, vt, cuSeqlens, hd ** -0.5);
    using ot = mx.transpose(out, [0, 2, 1, 3]);
    using flat = mx.reshape(ot, [N, dims]);
    return this.proj.forward(flat);
  }

  /** x: [N, H, hd]; cos/sin [N, 1, hd] computed in float32, the result cast back to x's dtype. */
  #rotate(x: mx.Array, rotary: VisionRotary): mx.Array {
    if (!rotary) return mx.contiguous(x);
    const y = applyRotary(x, rotary.cos, rotary.sin);
    if (y.dtype === x.dtype) return y;
    using _y = y;
    return mx.astype(y, x.dtype);
  }

  #mlp(x: mx.Array): mx.Array {
    if (this.spec.gatedMlp) {
      const [gate, up, down] = this.mlp as [Projection, Projection, Projection];
      using g = gate.forward(x);
      using u = up.forward(x);
      using s = mx.swiglu(g, u);
      return down.forward(s);
    }
    const [fc1, fc2] = this.mlp as [Projection, Projection];
    using h = fc1.forward(x);
    using a = activate(h, this.spec.activation);
    return fc2.forward(a);
  }
}

/** Attention of `[1, H, N, D]` queries within each segment `[cu[i], cu[i+1])` only; `[1, H, N, D]`. */
export function segmentAttention(q: mx.Array, k: mx.Array, v: mx.Array, cu: readonly number[], scale: number): mx.Array {
  if (cu.length <= 2) return mx.scaledDotProductAttention(q, k, v, scale);
  const cuts = cu.slice(1, -1);
  const qs = mx.split(q, cuts, 2);
  const ks = mx.split(k, cuts, 2);
  const vs = mx.split(v, cuts, 2);
  const outs = qs.map((qi, i) => mx.scaledDotProductAttention(qi, ks[i]!, vs[i]!, scale));
  const out = mx.concatenate(outs, 2);
  for (const a of [...qs, ...ks, ...vs, ...outs]) a.dispose();
  return out;
}
