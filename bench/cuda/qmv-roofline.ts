#!/usr/bin/env bun
/**
 * Where a single-stream 8B decode step's time goes on the device: the matrix-vector products of one token at
 * Llama-3.1-8B shapes (4-bit, group 64, bfloat16), each timed the way a step runs them, many queued in one
 * evaluation. Per shape, COPIES distinct weights (more bytes than the card's L2 holds) are multiplied by one row;
 * the time per product and the bytes it reads give GB/s and a share of the card's bandwidth. Beside them:
 * - the same products in bfloat16 (a plain gemv, 4x the bytes: what the card's memory gives a simple kernel);
 * - a chain of small element-wise ops (the floor a primitive costs: host time in `async_eval`, device time);
 * - the token's sum (products x count a layer x 32 layers, plus the output head) as a share of the step.
 * `--path` picks the quantized product's implementation (`mlx` or, where this build has one, `kernel`).
 *
 *   bun bench/cuda/qmv-roofline.ts [--copies 32] [--rounds 5] [--path auto] [--bandwidth 3350]
 */
import { parseArgs } from "node:util";
import * as mx from "../../src/mlx/index.ts";
import { describeMachine } from "../ffi/machine.ts";
import { median } from "../ffi/spec.ts";

const { values } = parseArgs({
  options: {
    copies: { type: "string", default: "32" },
    rounds: { type: "string", default: "5" },
    path: { type: "string", default: "auto" },
    bandwidth: { type: "string" }, // GB/s; default from the card's name
    "no-dense": { type: "boolean", default: false },
  },
});
const COPIES = Number(values.copies);
const ROUNDS = Number(values.rounds);
const GROUP = 64;
const BITS = 4;
const LAYERS = 32;

const gpu = describeMachine().gpu ?? "";
/** Peak memory bandwidth in GB/s of the card named (SXM parts; H100 PCIe is 2,000). */
function peakOf(name: string): number {
  if (values.bandwidth) return Number(values.bandwidth);
  if (/H200/.test(name)) return 4800;
  if (/H100.*PCIe/.test(name)) return 2000;
  if (/H100/.test(name)) return 3350;
  return Number.NaN;
}
const PEAK = peakOf(gpu);

// Llama-3.1-8B: [out, in] of each product, and how many a token runs.
const SHAPES = [
  { name: "q_proj, o_proj", n: 4096, k: 4096, perToken: 2 * LAYERS },
  { name: "k_proj, v_proj", n: 1024, k: 4096, perToken: 2 * LAYERS },
  { name: "gate_proj, up_proj", n: 14336, k: 4096, perToken: 2 * LAYERS },
  { name: "down_proj", n: 4096, k: 14336, perToken: LAYERS },
  { name: "lm_head", n: 128256, k: 4096, perToken: 1 },
];

/** Median over rounds of (host ms in asyncEval, total ms until done) for evaluating `build()`'s arrays at once. */
function time(build: () => mx.Array[]): { host: number; total: number } {
  const hosts: number[] = [];
  const totals: number[] = [];
  for (let r = 0; r < ROUNDS + 1; r++) {
    const outs = build();
    const t0 = performance.now();
    mx.asyncEval(...outs);
    const t1 = performance.now();
    mx.evaluate(...outs);
    const t2 = performance.now();
    for (const o of outs) o[Symbol.dispose]();
    if (r === 0) continue; // first use: kernel compilation, allocations
    hosts.push(t1 - t0);
    totals.push(t2 - t0);
  }
  return { host: median(hosts), total: median(totals) };
}

console.log(`machine: ${gpu || "no GPU"} · backend ${mx.info().backend} · peak ${PEAK} GB/s · ${COPIES} copies, ` +
  `${ROUNDS} rounds, medians · quantized path ${values.path}`);

// The floor: a chain of element-wise ops on a [1, 4096] row (one primitive each, no weights).
{
  using x = mx.normal([1, 4096], "bfloat16", mx.array([0, 7], { dtype: "uint32" }));
  mx.evaluate(x);
  const ops = 512;
  const t = time(() => {
    let y = mx.add(x, x);
    for (let i = 1; i < ops; i++) {
      const next = mx.add(y, x);
      y[Symbol.dispose]();
      y = next;
    }
    return [y];
  });
  console.log(`element-wise chain, ${ops} adds on [1, 4096]: host ${(t.host * 1000 / ops).toFixed(2)} µs an op in ` +
    `asyncEval, ${(t.total * 1000 / ops).toFixed(2)} µs an op until done`);
}

let tokenMs = 0;
let tokenBytes = 0;
let seed = 1;
for (const s of SHAPES) {
  const copies = s.name === "lm_head" ? Math.max(2, Math.floor(COPIES / 8)) : COPIES;
  using x = mx.normal([1, s.k], "bfloat16", mx.array([0, 11], { dtype: "uint32" }));
  const weights: mx.QuantizedWeight[] = [];
  for (let c = 0; c < copies; c++) {
    using w = mx.normal([s.n, s.k], "bfloat16", mx.array([0, seed++], { dtype: "uint32" }), 0, 0.02);
    const q = mx.quantize(w, { groupSize: GROUP, bits: BITS });
    mx.evaluate(q.wq, q.scales, q.biases!);
    weights.push(q);
  }
  const bytes = weights[0]!.wq.nbytes + weights[0]!.scales.nbytes + weights[0]!.biases!.nbytes;
  const path = values.path as mx.QuantizedMatmulPath;
  const t = time(() => weights.map((q) => mx.quantizedMatmul(x, q.wq, q.scales, q.biases, { groupSize: GROUP, bits: BITS, path })));
  const perOp = t.total / copies; // ms
  const gbs = bytes / (perOp / 1000) / 1e9;
  tokenMs += perOp * s.perToken;
  tokenBytes += bytes * s.perToken;
  let dense = "";
  if (!values["no-dense"]) {
    const dCopies = Math.max(2, Math.floor(copies / 4));
    const ws = weights.slice(0, dCopies).map((q) => {
      const d = mx.dequantize(q.wq, q.scales, q.biases, { groupSize: GROUP, bits: BITS });
      const dt = mx.transpose(d, [1, 0]);
      d[Symbol.dispose]();
      mx.evaluate(dt);
      return dt;
    });
    const td = time(() => ws.map((w) => mx.matmul(x, w)));
    const dBytes = s.n * s.k * 2;
    const dPer = td.total / dCopies;
    dense = ` · bf16: ${(dPer * 1000).toFixed(1)} µs, ${(dBytes / (dPer / 1000) / 1e9).toFixed(0)} GB/s ` +
      `(${((dBytes / (dPer / 1000) / 1e9 / PEAK) * 100).toFixed(0)}%)`;
    for (const w of ws) w[Symbol.dispose]();
  }
  console.log(`${s.name} [${s.n}, ${s.k}] 4-bit (${(bytes / 1e6).toFixed(1)} MB): ${(perOp * 1000).toFixed(1)} µs a ` +
    `product, ${gbs.toFixed(0)} GB/s (${((gbs / PEAK) * 100).toFixed(0)}% of peak), host ` +
    `${(t.host * 1000 / copies).toFixed(2)} µs a product in asyncEval${dense}`);
  for (const q of weights) {
    q.wq[Symbol.dispose]();
    q.scales[Symbol.dispose]();
    q.biases?.[Symbol.dispose]();
  }
}
const ideal = (tokenBytes / (PEAK * 1e9)) * 1000;
console.log(`a token's products (${(tokenBytes / 1e9).toFixed(2)} GB): ${tokenMs.toFixed(2)} ms at these rates ` +
  `(${(1000 / tokenMs).toFixed(0)} tok/s if nothing else ran), ${ideal.toFixed(2)} ms at peak; 40% of peak is ` +
  `${(ideal / 0.4).toFixed(2)} ms a token (${((1000 * 0.4) / ideal).toFixed(0)} tok/s)`);
