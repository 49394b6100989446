/** Gated MLPs: SwiGLU (Llama, Qwen, Phi-3) and GeGLU with tanh-approximate GELU (Gemma). */
import * as mx from "../mlx/index.ts";
import { loadLinear, type Projection } from "./linear.ts";
import type { WeightStore } from "./weights.ts";

export type Activation = "silu" | "gelu_approx";

export class GatedMLP {
  constructor(
    /** Either separate gate/up projections or one fused `gate_up_proj` (Phi-3), split in half. */
    readonly gateUp: { gate: Projection; up: Projection } | { fused: Projection },
    readonly down: Projection,
    readonly activation: Activation,
  ) {}

  static load(store: WeightStore, prefix: string, dims: number, hidden: number, activation: Activation, bias = false): GatedMLP {
    const down = loadLinear(store, `${prefix}.down_proj`, hidden, dims, bias);
    if (store.has(`${prefix}.gate_up_proj.weight`)) {
      return new GatedMLP({ fused: loadLinear(store, `${prefix}.gate_up_proj`, dims, 2 * hidden, bias) }, down, activation);
    }
    const gate = loadLinear(store, `${prefix}.gate_proj`, dims, hidden, bias);
    const up = loadLinear(store, `${prefix}.up_proj`, dims, hidden, bias);
    return new GatedMLP({ gate, up }, down, activation);
  }

  forward(x: mx.Array): mx.Array {
    let gate: mx.Array;
    let up: mx.Array;
    if ("fused" in this.gateUp) {
      using gu = this.gateUp.fused.forward(x);
      [gate, up] = mx.split(gu, 2, -1) as [mx.Array, mx.Array];
    } else {
      gate = this.gateUp.gate.forward(x);
      up = this.gateUp.up.forward(x);
    }
    using _g = gate;
    using _u = up;
    using h = this.activation === "silu" ? mx.swiglu(gate, up) : geglu(gate, up);
    return this.down.forward(h);
  }
}

/** gelu_approx(gate) * up, with mlx's tanh approximation: 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))). */
function geglu(gate: mx.Array, up: mx.Array): mx.Array {
  using g = mx.geluApprox(gate);
  return mx.multiply(g, up);
}
