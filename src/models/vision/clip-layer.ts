/**
 * The encoder layer HF's CLIP and SigLIP towers share (`layer_norm1`, `self_attn.{q,k,v,out}_proj` with
 * biases, `layer_norm2`, `mlp.fc1`/`mlp.fc2`), bidirectional over one image's patches, and the patchify
 * step that turns `[B, C, H, W]` pixels into the flattened patches `loadPatchEmbed`'s matmul expects.
 */
import * as mx from "../../mlx/index.ts";
import { loadLinear, type Projection } from "../../nn/linear.ts";
import { LayerNorm } from "../../nn/norm.ts";
import type { WeightStore } from "../../nn/weights.ts";
import { activate, type VisionActivation } from "./vit.ts";

export interface ClipLayerSpec {
  dims: number;
  numHeads: number;
  mlpHidden: number;
  eps: number;
  activation: VisionActivation;
}

export class ClipEncoderLayer {
  private constructor(
    readonly spec: ClipLayerSpec,
    readonly norm1: LayerNorm,
    readonly norm2: LayerNorm,
    readonly qkvo: [Projection, Projection, Projection, Projection],
    readonly fc1: Projection,
    readonly fc2: Projection,
  ) {}

  static load(store: WeightStore, prefix: string, spec: ClipLayerSpec): ClipEncoderLayer {
    const { dims: d, mlpHidden: h, eps } = spec;
    const a = `${prefix}.self_attn`;
    const qkvo = (["q_proj", "k_proj", "v_proj", "out_proj"] as const).map((n) => loadLinear(store, `${a}.${n}`, d, d, true));
    return new ClipEncoderLayer(
      spec,
      LayerNorm.load(store, `${prefix}.layer_norm1`, d, eps),
      LayerNorm.load(store, `${prefix}.layer_norm2`, d, eps),
      qkvo as [Projection, Projection, Projection, Projection],
      loadLinear(store, `${prefix}.mlp.fc1`, d, h, true),
      loadLinear(store, `${prefix}.mlp.fc2`, h, d, true),
    );
  }

  /** x: [B, N, dims] -> [B, N, dims] */
  forward(x: mx.Array): mx.Array {
    using n1 = this.norm1.forward(x);
    using a = this.#attention(n1);
    using h = mx.add(x, a);
    using n2 = this.norm2.forward(h);
    using f1 = this.fc1.forward(n2);
    using act = activate(f1, this.spec.activation);
    using f2 = this.fc2.forward(act);
    return mx.add(h, f2);
  }

  #attention(x: mx.Array): mx.Array {
    const [B, N] = x.shape as [number, number];
    const { numHeads: H, dims } = this.spec;
    const hd = dims / H;
    const [qp, kp, vp, op] = this.qkvo;
    const heads = (p: Projection): mx.Array => {
      using y = p.forward(x);
      using r = mx.reshape(y, [B, N, H, hd]);
      return mx.transpose(r, [0, 2, 1, 3]); // [B, H, N, hd]
    };
    using q = heads(qp);
    using k = heads(kp);
    using v = heads(vp);
    using o = mx.scaledDotProductAttention(q, k, v, hd ** -0.5); // no mask: every patch sees every patch
    using ot = mx.transpose(o, [0, 2, 1, 3]);
    using flat = mx.reshape(ot, [B, N, dims]);
    return op.forward(flat);
  }
}

/**
 * `[B, C, H, W]` pixels -> `[B, (H/p)*(W/p), C*p*p]` patches in row-major patch order, each flattened
 * channel-first (the order `loadPatchEmbed` gives the conv kernel).
 */
export function patchify(pixels: mx.Array, patch: number): mx.Array {
  const [B, C, H, W] = pixels.shape as [number, number, number, number];
  const gh = Math.floor(H / patch);
  const gw = Math.floor(W / patch);
  using cropped = gh * patch === H && gw * patch === W ? null : mx.slice(pixels, [0, 0, 0, 0], [B, C, gh * patch, gw * patch]);
  using r = mx.reshape(cropped ?? pixels, [B, C, gh, patch, gw, patch]);
  using t = mx.transpose(r, [0, 2, 4, 1, 3, 5]); // [B, gh, gw, C, p, p]
  return mx.reshape(t, [B, gh * gw, C * patch * patch]);
}
