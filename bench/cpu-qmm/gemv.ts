#!/usr/bin/env bun
/**
 * The CPU quantized matmul kernel alone at `--rows` rows of x (1: a decode's products; a prefill's: 450), at the
 * default model's shapes (SmolLM2-135M: hidden 576, MLP 1536, kv 192, vocabulary 49152; 4-bit, groups of 32 as its
 * Q4_1 GGUF loads): microseconds a product, weight bytes and weights a second and GFLOP/s, one product evaluated at a
 * time. `--copies N` multiplies N weights in turn, so that past the caches each reads its weight from memory, as a
 * decode does.
 *
 *   bun bench/cpu-qmm/gemv.ts [--dtype float32|bfloat16|float16] [--reps 200] [--isa auto|amx|avx512bf16|avx512|avx2|scalar]
 *     [--rows 1] [--copies 1]
 */
import { parseArgs } from "node:util";
import * as mx from "../../src/mlx/index.ts";

const { values } = parseArgs({
  options: {
    dtype: { type: "string", default: "float32" },
    reps: { type: "string", default: "200" },
    isa: { type: "string", default: "auto" },
    rows: { type: "string", default: "1" },
    copies: { type: "string", default: "1" },
  },
});
const dtype = values.dtype as mx.Dtype;
const reps = Number(values.reps);
const rows = Number(values.rows);
const copies = Number(values.copies);
if (values.isa !== "auto") mx.setQmmCpuIsa(values.isa as mx.QmmCpuIsa);
const cpu = mx.cpuStream();
const shapes: [string, number, number][] = [
  ["q, o [576, 576]", 576, 576], ["k, v [192, 576]", 192, 576], ["gate, up [1536, 576]", 1536, 576],
  ["down [576, 1536]", 576, 1536], ["lm_head [49152, 576]", 49152, 576],
];
console.log(`CPU quantized matmul, ${rows} row(s), 4-bit, groups of 32, ${dtype}, isa ${mx.qmmCpuIsa()}`);
for (const [name, n, k] of shapes) {
  using w = mx.normal([n, k], "float32", undefined, 0, 1, cpu);
  using wt = mx.astype(w, dtype, cpu);
  // `--copies` weights in turn, so that a product reads its weight from memory rather than from a cache
  const qs = Array.from({ length: copies }, () => {
    using noise = mx.normal([n, k], "float32", undefined, 0, 0.01, cpu);
    using wc = mx.add(wt, noise, cpu);
    const q = mx.quantize(wc, { groupSize: 32, bits: 4 }, cpu);
    mx.evaluate(q.wq, q.scales, q.biases!);
    return q;
  });
  using x0 = mx.normal([rows, k], "float32", undefined, 0, 1, cpu);
  using x = mx.astype(x0, dtype, cpu);
  mx.evaluate(x);
  let turn = 0;
  const once = () => {
    const q = qs[turn++ % copies]!;
    using y = mx.quantizedMatmul(x, q.wq, q.scales, q.biases, { groupSize: 32, bits: 4 }, cpu);
    mx.evaluate(y);
  };
  for (let i = 0; i < 20; i++) once();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) once();
  const us = ((performance.now() - t0) * 1000) / reps;
  const gflops = (2 * rows * n * k) / us / 1e3;
  const bytes = (n * k) / 2 + 2 * (n * k / 32) * (dtype === "float32" ? 4 : 2);
  const rates = `${(bytes / us / 1e3).toFixed(2)} GB/s, ${(n * k / us / 1e3).toFixed(2)} weights/ns`;
  console.log(`${name}: ${us.toFixed(1)} us, ${rates}, ${gflops.toFixed(1)} GFLOP/s`);
  for (const q of qs) [q.wq, q.scales, q.biases!].forEach((a) => a.dispose());
}
