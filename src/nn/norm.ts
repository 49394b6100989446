/** RMSNorm, including Gemma's `(1 + w)` variant (folded into the weight at load). */
import * as mx from "../mlx/index.ts";
import type { WeightStore } from "./weights.ts";

export class RMSNorm {
  constructor(readonly weight: mx.Array, readonly eps: number) {}

  /**
   * @param offsetOne Gemma stores `w` and normalizes with `1 + w`.
   */
  static load(store: WeightStore, name: string, dims: number, eps: number, offsetOne = false): RMSNorm {
    const w = store.get(`${name}.weight`, [dims]);
    return new RMSNorm(offsetOne ? mx.add(w, 1) : w, eps);
  }

  forward(x: mx.Array): mx.Array {
    return mx.rmsNorm(x, this.weight, this.eps);
  }
}

/** LayerNorm with weight and bias (the ViT towers). */
export class LayerNorm {
  constructor(readonly weight: mx.Array, readonly bias: mx.Array | null, readonly eps: number) {}

  static load(store: WeightStore, name: string, dims: number, eps: number): LayerNorm {
    return new LayerNorm(store.get(`${name}.weight`, [dims]), store.optional(`${name}.bias`, [dims]), eps);
  }

  forward(x: mx.Array): mx.Array {
    return mx.layerNorm(x, this.weight, this.bias, this.eps);
  }
}
