#!/usr/bin/env bun
/**
 * A prefix hit's matrix products on the device at Qwen3-0.6B shapes (4-bit, group 64, bfloat16): each of a layer's
 * products with 1, 8 and 16 rows of x (a decode, a batch, a 16-token chunk), COPIES distinct weights queued in one
 * evaluation as a step runs them, and their sum over 28 layers: how much of the hit's device time (the step profile's
 * `device wait`) is products, and how a product's time grows with rows (MLX's 4-bit kernels). Then the layer's
 * attention for the hit (16 rows over 2,064 keys, 16 query heads, 8 kv heads, head dim 128): the rows of one
 * sequence read once (`oneSequence`, the CUDA chunk kernel) and each row on its own (the decode kernel).
 *
 * `--paths` lists the product's implementations to time, each at every shape (`mlx`; `kernel`, ours, where the build
 * has it).
 *
 *   bun bench/cuda/hit-products.ts [--copies 28] [--rounds 5] [--paths mlx,kernel] [--attention-only]
 */
import { parseArgs } from "node:util";
import * as mx from "../../src/mlx/index.ts";
import { describeMachine } from "../ffi/machine.ts";
import { median } from "../ffi/spec.ts";

const { values } = parseArgs({
  options: {
    copies: { type: "string", default: "28" },
    rounds: { type: "string", default: "5" },
    paths: { type: "string", default: "mlx" },
    "attention-only": { type: "boolean", default: false },
  },
});
const COPIES = Number(values.copies);
const ROUNDS = Number(values.rounds);
const LAYERS = 28;
// Qwen3-0.6B: [out, in] of each product and how many a layer runs.
const SHAPES = [
  { name: "q_proj", n: 2048, k: 1024, perLayer: 1 },
  { name: "k_proj, v_proj", n: 1024, k: 1024, perLayer: 2 },
  { name: "o_proj", n: 1024, k: 2048, perLayer: 1 },
  { name: "gate_proj and up_proj stacked (loadStackedLinear)", n: 6144, k: 1024, perLayer: 1 },
  { name: "down_proj", n: 1024, k: 3072, perLayer: 1 },
];

/** Median over rounds of ms until done, for evaluating `build()`'s arrays at once. */
function time(build: () => mx.Array[]): number {
  const totals: number[] = [];
  for (let r = 0; r < ROUNDS + 1; r++) {
    const outs = build();
    const t0 = performance.now();
    mx.evaluate(...outs);
    const t1 = performance.now();
    for (const o of outs) o[Symbol.dispose]();
    if (r > 0) totals.push(t1 - t0);
  }
  return median(totals);
}

console.log(`machine: ${describeMachine().gpu ?? "no GPU"} · backend ${mx.info().backend} · ${COPIES} copies, ` +
  `${ROUNDS} rounds, medians · quantized paths ${values.paths}`);
const PATHS = values.paths.split(",") as mx.QuantizedMatmulPath[];
const sums = new Map<string, number>();
let seed = 1;
for (const s of values["attention-only"] ? [] : SHAPES) {
  const weights: mx.QuantizedWeight[] = [];
  for (let c = 0; c < COPIES; c++) {
    using w = mx.normal([s.n, s.k], "bfloat16", mx.array([0, seed++], { dtype: "uint32" }), 0, 0.02);
    const q = mx.quantize(w, { groupSize: 64, bits: 4 });
    mx.evaluate(q.wq, q.scales, q.biases!);
    weights.push(q);
  }
  const line: string[] = [];
  for (const path of PATHS) {
    for (const rows of [1, 8, 16]) {
      using x = mx.normal([rows, s.k], "bfloat16", mx.array([0, 11], { dtype: "uint32" }));
      mx.evaluate(x);
      const per = time(() => weights.map((q) => mx.quantizedMatmul(x, q.wq, q.scales, q.biases,
        { groupSize: 64, bits: 4, path }))) / COPIES;
      const key = `${path}, ${rows} rows`;
      sums.set(key, (sums.get(key) ?? 0) + per * s.perLayer * LAYERS);
      line.push(`${key} ${(per * 1000).toFixed(1)} µs`);
    }
  }
  console.log(`${s.name} [${s.n}, ${s.k}]: ${line.join(" · ")}`);
  for (const q of weights) {
    q.wq[Symbol.dispose]();
    q.scales[Symbol.dispose]();
    q.biases?.[Symbol.dispose]();
  }
}
if (sums.size > 0) console.log(`a forward's products over ${LAYERS} layers: ` +
  [...sums].map(([key, ms]) => `${key} ${ms.toFixed(2)} ms`).join(" · "));

// The hit's attention: 16 rows at positions 2048..2063 of one sequence, COPIES layers' pools queued at once.
{
  const R = 16, HQ = 16, HKV = 8, D = 128, BS = 16, LEN = 2064;
  const blocks = Math.ceil(LEN / BS);
  const pools: [mx.Array, mx.Array][] = [];
  for (let c = 0; c < COPIES; c++) {
    const k = mx.normal([blocks, BS, HKV, D], "bfloat16", mx.array([1, seed++], { dtype: "uint32" }));
    const v = mx.normal([blocks, BS, HKV, D], "bfloat16", mx.array([1, seed++], { dtype: "uint32" }));
    mx.evaluate(k, v);
    pools.push([k, v]);
  }
  using q = mx.normal([R, HQ, 1, D], "bfloat16", mx.array([2, 3], { dtype: "uint32" }));
  using tables = mx.array(Array.from({ length: R }, () => Array.from({ length: blocks }, (_, i) => i)).flat(),
    { shape: [R, blocks], dtype: "int32" });
  using lens = mx.array(Array.from({ length: R }, (_, r) => LEN - R + 1 + r), { dtype: "int32" });
  mx.evaluate(q, tables, lens);
  const line: string[] = [];
  for (const oneSequence of [true, false]) {
    const per = time(() => pools.map(([k, v]) => mx.pagedAttention(q, k, v, tables, lens, D ** -0.5,
      { path: "auto", oneSequence }))) / COPIES;
    line.push(`${oneSequence ? "one sequence (chunk kernel)" : "a row each (decode kernel)"} ${(per * 1000).toFixed(1)} µs`);
  }
  console.log(`attention, ${R} rows over ${LEN} keys: ${line.join(" · ")} a layer`);
  for (const [k, v] of pools) {
    k.dispose();
    v.dispose();
  }
}
