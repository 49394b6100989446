/**
 * The gated MLP against a naive reference with plain MLX ops: SwiGLU (Llama, Qwen; Phi-3's fused gate_up_proj)
 * and GeGLU with tanh-approximate GELU (Gemma), with and without biases, at random weights and several shapes.
 */
import { describe, expect, test } from "bun:test";
import * as mx from "../mlx/index.ts";
import { type Activation, GatedMLP } from "./mlp.ts";
import { maxAbs, maxAbsDiff, naiveLinear, randn, Scope } from "./testing.ts";
import { WeightStore } from "./weights.ts";

interface Case {
  name: string;
  shape: [number, number, number];
  hidden: number;
  activation: Activation;
  fused: boolean;
  bias: boolean;
}

const CASES: Case[] = [
  { name: "SwiGLU (Llama, Qwen)", shape: [1, 1, 64], hidden: 128, activation: "silu", fused: false, bias: false },
  { name: "SwiGLU (Llama, Qwen)", shape: [2, 5, 96], hidden: 256, activation: "silu", fused: false, bias: false },
  { name: "SwiGLU with mlp_bias", shape: [2, 3, 64], hidden: 160, activation: "silu", fused: false, bias: true },
  { name: "SwiGLU, fused gate_up_proj (Phi-3)", shape: [3, 2, 128], hidden: 344, activation: "silu", fused: true, bias: false },
  { name: "GeGLU, tanh GELU (Gemma)", shape: [1, 4, 64], hidden: 192, activation: "gelu_approx", fused: false, bias: false },
  { name: "GeGLU, tanh GELU (Gemma)", shape: [2, 7, 128], hidden: 512, activation: "gelu_approx", fused: false, bias: false },
];

interface Weights {
  gate: mx.Array;
  up: mx.Array;
  down: mx.Array;
  gateBias: mx.Array | null;
  upBias: mx.Array | null;
  downBias: mx.Array | null;
}

function randomWeights(c: Case, seed: number): Weights {
  const D = c.shape[2];
  const F = c.hidden;
  return {
    // Wide enough that the gate reaches well into both tails of the activation.
    gate: randn([F, D], seed + 1, 2 * D ** -0.5),
    up: randn([F, D], seed + 2, D ** -0.5),
    down: randn([D, F], seed + 3, F ** -0.5),
    gateBias: c.bias ? randn([F], seed + 4, 0.5) : null,
    upBias: c.bias ? randn([F], seed + 5, 0.5) : null,
    downBias: c.bias ? randn([D], seed + 6, 0.5) : null,
  };
}

function load(w: Weights, c: Case): GatedMLP {
  const t = new Map<string, mx.Array>();
  if (c.fused) {
    t.set("mlp.gate_up_proj.weight", mx.concatenate([w.gate, w.up], 0));
  } else {
    t.set("mlp.gate_proj.weight", w.gate);
    t.set("mlp.up_proj.weight", w.up);
    if (w.gateBias && w.upBias) {
      t.set("mlp.gate_proj.bias", w.gateBias);
      t.set("mlp.up_proj.bias", w.upBias);
    }
  }
  t.set("mlp.down_proj.weight", w.down);
  if (w.downBias) t.set("mlp.down_proj.bias", w.downBias);
  const store = new WeightStore(t, new Map([...t.keys()].map((k) => [k, "test"])), null);
  const mlp = GatedMLP.load(store, "mlp", c.shape[2], c.hidden, c.activation, c.bias);
  store.finish();
  return mlp;
}

/** silu(g) = g / (1 + e^-g). */
function naiveSilu(sc: Scope, g: mx.Array): mx.Array {
  return sc.k(mx.divide(g, sc.k(mx.add(sc.k(mx.exp(sc.k(mx.negative(g)))), 1))));
}

/** 0.5 g (1 + tanh(sqrt(2/pi) (g + 0.044715 g^3))). */
function naiveGeluTanh(sc: Scope, g: mx.Array): mx.Array {
  const cube = sc.k(mx.multiply(sc.k(mx.multiply(g, g)), g));
  const inner = sc.k(mx.multiply(sc.k(mx.add(g, sc.k(mx.multiply(cube, 0.044715)))), Math.sqrt(2 / Math.PI)));
  return sc.k(mx.multiply(sc.k(mx.multiply(g, 0.5)), sc.k(mx.add(sc.k(mx.tanh(inner)), 1))));
}

/** 0.5 g (1 + erf(g / sqrt 2)): the exact GELU, which Gemma does not use. */
function naiveGeluErf(sc: Scope, g: mx.Array): mx.Array {
  return sc.k(mx.multiply(sc.k(mx.multiply(g, 0.5)), sc.k(mx.add(sc.k(mx.erf(sc.k(mx.multiply(g, Math.SQRT1_2)))), 1))));
}

type ActivationFn = (sc: Scope, g: mx.Array) => mx.Array;

/** down(act(gate(x)) * up(x)). */
function naiveMlp(x: mx.Array, w: Weights, act: ActivationFn): mx.Array {
  using sc = new Scope();
  const g = sc.k(naiveLinear(x, w.gate, w.gateBias));
  const u = sc.k(naiveLinear(x, w.up, w.upBias));
  const h = sc.k(mx.multiply(act(sc, g), u));
  return naiveLinear(h, w.down, w.downBias);
}

const ACTIVATIONS: Record<Activation, ActivationFn> = { silu: naiveSilu, gelu_approx: naiveGeluTanh };

/** fp32, outputs of magnitude ~1; measured differences are at most about 1e-6 (summation order). */
const TOLERANCE = 1e-5;

function disposeAll(w: Weights): void {
  for (const a of Object.values(w)) a?.dispose();
}

describe("GatedMLP matches a naive reference", () => {
  CASES.forEach((c, i) => {
    test(`${c.name}: x [${c.shape.join(", ")}], hidden ${c.hidden}`, () => {
      using x = randn(c.shape, 500 + i);
      const w = randomWeights(c, 10 * i);
      const mlp = load(w, c);
      using got = mlp.forward(x);
      using want = naiveMlp(x, w, ACTIVATIONS[c.activation]);
      expect(got.shape).toEqual(c.shape);
      expect(maxAbs(want)).toBeGreaterThan(0.1);
      expect(maxAbsDiff(got, want)).toBeLessThan(TOLERANCE);
      disposeAll(w);
    });
  });

  test("GeGLU is the tanh approximation: the exact (erf) GELU is measurably different", () => {
    const c = CASES.find((x) => x.activation === "gelu_approx")!;
    using x = randn(c.shape, 77);
    const w = randomWeights(c, 7);
    const mlp = load(w, c);
    using got = mlp.forward(x);
    using exact = naiveMlp(x, w, naiveGeluErf);
    expect(maxAbsDiff(got, exact)).toBeGreaterThan(10 * TOLERANCE);
    disposeAll(w);
  });
});
