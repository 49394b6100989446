/**
 * Stacked quantized projections (`loadStackedLinear`): one product over the parts' rows gives exactly the parts'
 * outputs side by side, the parts leave the store, and parts quantized differently are left as they were.
 */
import { describe, expect, test } from "bun:test";
import * as mx from "../mlx/index.ts";
import { loadStackedLinear, QuantizedLinear } from "./linear.ts";
import { GatedMLP } from "./mlp.ts";
import { randn } from "./testing.ts";
import { type QuantParams, WeightStore } from "./weights.ts";

const Q4: QuantParams = { groupSize: 64, bits: 4, mode: "affine" };
const D = 128;
const F = 96;

/** gate_proj and up_proj quantized (`bits` each), in a store whose default is 4-bit, group 64. */
function storeOf(bits: { gate: number; up: number }): { store: WeightStore; parts: QuantizedLinear[] } {
  const t = new Map<string, mx.Array>();
  const parts: QuantizedLinear[] = [];
  const overrides: Record<string, QuantParams> = {};
  for (const [i, name] of (["gate_proj", "up_proj"] as const).entries()) {
    const b = name === "gate_proj" ? bits.gate : bits.up;
    using w = randn([F, D], 40 + i, D ** -0.5);
    const q = mx.quantize(w, { groupSize: 64, bits: b });
    t.set(`mlp.${name}.weight`, q.wq);
    t.set(`mlp.${name}.scales`, q.scales);
    t.set(`mlp.${name}.biases`, q.biases!);
    const params = { ...Q4, bits: b };
    if (b !== Q4.bits) overrides[`mlp.${name}`] = params;
    parts.push(new QuantizedLinear(q.wq, q.scales, q.biases, null, params));
  }
  const store = new WeightStore(t, new Map([...t.keys()].map((k) => [k, "test"])), { default: Q4, overrides });
  return { store, parts };
}

describe("loadStackedLinear", () => {
  test("gate and up quantized alike: one projection whose output is the two parts' outputs, exactly; the parts leave the store", () => {
    const { store, parts } = storeOf({ gate: 4, up: 4 });
    using x = randn([3, D], 7);
    using g = parts[0]!.forward(x);
    using u = parts[1]!.forward(x);
    using want = mx.concatenate([g, u], -1);
    const want0 = want.toList();
    const stacked = loadStackedLinear(store, ["mlp.gate_proj", "mlp.up_proj"], D, [F, F]);
    expect(stacked).not.toBeNull();
    expect(stacked!.outputDims).toBe(2 * F);
    using got = stacked!.forward(x);
    expect(got.shape).toEqual([3, 2 * F]);
    expect(got.toList()).toEqual(want0);
    expect(store.names()).toEqual([]);
    store.finish();
  });

  test("parts quantized differently (4-bit gate, 8-bit up): null, and every tensor stays in the store for loadLinear", () => {
    const { store } = storeOf({ gate: 4, up: 8 });
    expect(loadStackedLinear(store, ["mlp.gate_proj", "mlp.up_proj"], D, [F, F])).toBeNull();
    expect(store.names().sort()).toEqual([
      "mlp.gate_proj.biases", "mlp.gate_proj.scales", "mlp.gate_proj.weight",
      "mlp.up_proj.biases", "mlp.up_proj.scales", "mlp.up_proj.weight",
    ]);
  });

  test("GatedMLP.load with mlp_bias does not stack: a checkpoint without gate and up's biases is refused, naming the tensor", () => {
    const t = new Map<string, mx.Array>();
    for (const name of ["gate_proj", "up_proj"]) {
      using w = randn([F, D], 3, D ** -0.5);
      const q = mx.quantize(w, { groupSize: 64, bits: 4 });
      t.set(`mlp.${name}.weight`, q.wq);
      t.set(`mlp.${name}.scales`, q.scales);
      t.set(`mlp.${name}.biases`, q.biases!);
    }
    t.set("mlp.down_proj.weight", randn([D, F], 4)); // dense (no scales), with its bias
    t.set("mlp.down_proj.bias", randn([D], 5));
    const store = new WeightStore(t, new Map([...t.keys()].map((k) => [k, "test"])), { default: Q4, overrides: {} });
    expect(() => GatedMLP.load(store, "mlp", D, F, "silu", true)).toThrow("missing tensor 'mlp.gate_proj.bias'");
  });
});

describe("loadStackedLinear with additive biases (q, k and v)", () => {
  const rows = { q_proj: 64, k_proj: 32, v_proj: 32 };

  /** q/k/v projections quantized alike, each with an additive bias unless named in `without`. */
  function qkvStore(without: string[] = []) {
    const t = new Map<string, mx.Array>();
    const parts: QuantizedLinear[] = [];
    for (const [i, [name, n]] of Object.entries(rows).entries()) {
      using w = randn([n, D], 60 + i, D ** -0.5);
      const q = mx.quantize(w, { groupSize: 64, bits: 4 });
      const bias = randn([n], 70 + i);
      t.set(`attn.${name}.weight`, q.wq);
      t.set(`attn.${name}.scales`, q.scales);
      t.set(`attn.${name}.biases`, q.biases!);
      if (!without.includes(name)) t.set(`attn.${name}.bias`, bias);
      parts.push(new QuantizedLinear(q.wq, q.scales, q.biases, bias, Q4));
    }
    const store = new WeightStore(t, new Map([...t.keys()].map((k) => [k, "test"])), { default: Q4, overrides: {} });
    return { store, parts, prefixes: Object.keys(rows).map((r) => `attn.${r}`), dims: Object.values(rows) };
  }

  test("the stack's bias is the parts' biases side by side: its output is the three outputs, exactly", () => {
    const { store, parts, prefixes, dims } = qkvStore();
    using x = randn([2, 5, D], 9);
    const outs = parts.map((p) => p.forward(x));
    using want = mx.concatenate(outs, -1);
    const want0 = want.toList();
    for (const o of outs) o.dispose();
    const stacked = loadStackedLinear(store, prefixes, D, dims, true);
    expect(stacked).not.toBeNull();
    using got = stacked!.forward(x);
    expect(got.shape).toEqual([2, 5, 128]);
    expect(got.toList()).toEqual(want0);
    expect(store.names()).toEqual([]);
  });

  test("a part without its bias, or biases where none are asked for: null, the store untouched", () => {
    const { store, prefixes, dims } = qkvStore(["k_proj"]);
    const before = store.names().sort();
    expect(loadStackedLinear(store, prefixes, D, dims, true)).toBeNull();
    expect(loadStackedLinear(store, prefixes, D, dims, false)).toBeNull();
    expect(store.names().sort()).toEqual(before);
  });
});
