/**
 * Single-stream speed: EngineCore with one request vs generate.ts on the same random-weight model, greedy.
 * Default shapes are Qwen3-0.6B's (28 layers, hidden 1024, 16/8 heads of 128, MLP 3072, vocab 151936) in
 * 4-bit (bf16 scales); `--layers N` shrinks the depth on slow machines.
 *
 *   bun bench/engine-single.ts [--layers 28] [--prompt 128] [--tokens 64] [--rounds 7] [--dtype bfloat16] [--sync]
 *
 * `--sync` turns EngineCore's async scheduling off (each step read before the next is built). Each round runs
 * both sides back to back, the order alternating between rounds (drift and a neighbour's load fall on both), after
 * two warm-up runs of each; the figure is the median of the rounds' ratios, printed with their spread. The FFI
 * calls of one steady decode step of each side are counted once (host work the device cannot hide).
 */
import { parseArgs } from "node:util";
import * as mx from "../src/mlx/index.ts";
import { EngineCore } from "../src/engine/engine-core/engine-core.ts";
import { generate } from "../src/engine/runner/generate.ts";
import { tinyModel } from "../src/engine/runner/testing.ts";
import { QWEN3_06B } from "./model-shapes.ts";
import { GREEDY } from "../src/engine/sampling/params.ts";
import { countCalls } from "./generation/ours.ts";

const { values } = parseArgs({
  options: {
    layers: { type: "string", default: "28" },
    prompt: { type: "string", default: "128" },
    tokens: { type: "string", default: "64" },
    rounds: { type: "string", default: "7" },
    dtype: { type: "string", default: "bfloat16" },
    sync: { type: "boolean", default: false },
  },
});
const numLayers = Number(values.layers);
const promptLen = Number(values.prompt);
const maxTokens = Number(values.tokens);
const rounds = Number(values.rounds);
const dtype = values.dtype as mx.Dtype;

const t0 = performance.now();
const model = await tinyModel("qwen3", { ...QWEN3_06B, seed: 1, numLayers, dtype, quantBits: 4 });
console.log(`model: qwen3-0.6B shapes, ${numLayers} layers, 4-bit ${dtype}; built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const prompt = Array.from({ length: promptLen }, (_, i) => (i * 7919 + 13) % 151936);
const opts = { maxTokens, sampling: GREEDY, stopTokenIds: new Set<number>() };

/** Decode tokens/s (first token excluded: that is prefill) and the tokens. */
function timeGenerate(): { tps: number; tokens: number[] } {
  const tokens: number[] = [];
  let first = 0;
  for (const t of generate(model, prompt, opts)) {
    if (tokens.length === 0) first = performance.now();
    tokens.push(t.token);
  }
  return { tps: (tokens.length - 1) / ((performance.now() - first) / 1000), tokens };
}

const core = new EngineCore(model, { maxModelLen: 2048, numGpuBlocks: 512, asyncScheduling: !values.sync });
let id = 0;
function timeEngine(): { tps: number; tokens: number[] } {
  core.addRequest({ requestId: `b${id++}`, promptTokenIds: prompt, ...opts });
  const tokens: number[] = [];
  let first = 0;
  while (core.hasUnfinished()) {
    for (const t of core.step()) {
      if (tokens.length === 0) first = performance.now();
      tokens.push(t.token);
    }
  }
  return { tps: (tokens.length - 1) / ((performance.now() - first) / 1000), tokens };
}

/** FFI calls of step `at` (steady decode) of a run, the consumer pulling one token at a time. */
function callsAtStep(next: () => boolean, at: number): number {
  let calls = 0;
  for (let i = 0; i <= at; i++) {
    const { result, counts } = countCalls(next);
    if (i === at) calls = [...counts.values()].reduce((a, b) => a + b, 0);
    if (!result) break;
  }
  while (next()) { /* finish the run */ }
  return calls;
}

for (let w = 0; w < 2; w++) {
  timeGenerate();
  timeEngine();
}
const gen = generate(model, prompt, opts);
const genCalls = callsAtStep(() => !gen.next().done, 16);
core.addRequest({ requestId: `b${id++}`, promptTokenIds: prompt, ...opts });
const engineCalls = callsAtStep(() => core.step().length > 0 && core.hasUnfinished(), 16);
console.log(`FFI calls in a steady decode step: generate ${genCalls}, engine ${engineCalls}`);
const ratios: number[] = [];
for (let r = 0; r < rounds; r++) {
  const engineFirst = r % 2 === 1;
  const e0 = engineFirst ? timeEngine() : null;
  const g = timeGenerate();
  const e = e0 ?? timeEngine();
  const same = g.tokens.join() === e.tokens.join();
  ratios.push(e.tps / g.tps);
  console.log(`round ${r}: generate ${g.tps.toFixed(2)} tok/s, engine ${e.tps.toFixed(2)} tok/s, ratio ${(e.tps / g.tps).toFixed(3)}, same tokens: ${same}`);
}
ratios.sort((a, b) => a - b);
const q = (f: number) => ratios[Math.min(ratios.length - 1, Math.floor(f * ratios.length))]!.toFixed(3);
console.log(`median engine/generate decode ratio: ${q(0.5)} (min ${q(0)}, max ${q(1)}, ${rounds} rounds; device ${mx.gpuAvailable() ? "gpu" : "cpu"})`);
core.dispose();
