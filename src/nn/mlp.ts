/** Gated MLPs: SwiGLU (Llama, Qwen, Phi-3) and GeGLU with tanh-approximate GELU (Gemma). */
import * as mx from "../mlx/index.ts";
import { loadLinear, loadStackedLinear, type Projection } from "./linear.ts";
import type { RMSNorm } from "./norm.ts";
import type { WeightStore } from "./weights.ts";

export type Activation = "silu" | "gelu_approx";

export class GatedMLP {
  /** The projections as the fused native helpers take them. */
  readonly #native: mx.GatedMlpProjections;

  constructor(
    /**
     * Either separate gate/up projections or one fused `gate_up_proj` (Phi-3's, or gate and up stacked at load when
     * they are quantized alike), split in half.
     */
    readonly gateUp: { gate: Projection; up: Projection } | { fused: Projection },
    readonly down: Projection,
    readonly activation: Activation,
  ) {
    const [gate, up] = "fused" in gateUp ? [gateUp.fused.native, null] : [gateUp.gate.native, gateUp.up.native];
    this.#native = { gate, up, down: down.native, activation };
  }

  static load(store: WeightStore, prefix: string, dims: number, hidden: number, activation: Activation, bias = false): GatedMLP {
    const down = loadLinear(store, `${prefix}.down_proj`, hidden, dims, bias);
    if (store.has(`${prefix}.gate_up_proj.weight`)) {
      return new GatedMLP({ fused: loadLinear(store, `${prefix}.gate_up_proj`, dims, 2 * hidden, bias) }, down, activation);
    }
    // With `bias` the parts' biases are required (loadLinear reports a missing one), and a stack takes none.
    const stacked = bias ? null : loadStackedLinear(store, [`${prefix}.gate_proj`, `${prefix}.up_proj`], dims, [hidden, hidden]);
    if (stacked) return new GatedMLP({ fused: stacked }, down, activation);
    const gate = loadLinear(store, `${prefix}.gate_proj`, dims, hidden, bias);
    const up = loadLinear(store, `${prefix}.up_proj`, dims, hidden, bias);
    return new GatedMLP({ gate, up }, down, activation);
  }

  /**
   * `down(act(gate(x)) * up(x))` in one native call: SwiGLU is `mx.swiglu(gate, up)`, GeGLU
   * `geluApprox(gate) * up` (mlx's tanh approximation: 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3)))).
   */
  forward(x: mx.Array): mx.Array {
    return mx.gatedMlp(this.#native, x);
  }

  /**
   * The MLP half of a decoder block in one native call, over the attention output `r`: `h = x + after(r)`, then
   * `h + post(mlp(pre(h)))` (`after` and `post` only in Gemma's sandwich blocks).
   *
   * @example
   *   const out = layer.mlp.residual(x, attnOut, { pre: postAttentionNorm });
   */
  residual(x: mx.Array, r: mx.Array, norms: { pre: RMSNorm; after?: RMSNorm; post?: RMSNorm }): mx.Array {
    return mx.residualMlp(this.#native, x, r, { pre: norms.pre, residual: norms.after ?? null, post: norms.post ?? null });
  }
}
