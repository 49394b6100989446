/**
 * FFI calls of one steady batch-1 decode step of EngineCore (async scheduling, as served), split into per-layer
 * and per-step parts: the step is counted on two depths (`--layers` and twice that), so per layer = the
 * difference over the extra layers and per step = the rest. Each symbol is listed with its count. Random weights
 * at Qwen3-0.6B shapes (4-bit, bf16 scales) with a cut vocabulary: neither changes the calls.
 *
 *   bun bench/engine-step-calls.ts [--layers 2] [--prompt 32] [--at 12] [--dtype bfloat16]
 */
import { parseArgs } from "node:util";
import type * as mx from "../src/mlx/index.ts";
import { EngineCore } from "../src/engine/engine-core/engine-core.ts";
import { tinyModel } from "../src/engine/runner/testing.ts";
import { QWEN3_06B } from "./model-shapes.ts";
import { GREEDY } from "../src/engine/sampling/params.ts";
import { countCalls } from "./generation/ours.ts";

const { values } = parseArgs({
  options: {
    layers: { type: "string", default: "2" },
    prompt: { type: "string", default: "32" },
    at: { type: "string", default: "12" },
    dtype: { type: "string", default: "bfloat16" },
  },
});
const L = Number(values.layers);
const at = Number(values.at);

/** Symbol -> calls of step `at` of one request on a fresh core over an L-layer model. */
async function stepCalls(numLayers: number): Promise<Map<string, number>> {
  const model = await tinyModel("qwen3", { ...QWEN3_06B, seed: 1, numLayers, vocabSize: 4096, dtype: values.dtype as mx.Dtype,
    quantBits: 4 });
  const core = new EngineCore(model, { maxModelLen: 1024, numGpuBlocks: 128 });
  const prompt = Array.from({ length: Number(values.prompt) }, (_, i) => (i * 7919 + 13) % 4096);
  core.addRequest({ requestId: "r", promptTokenIds: prompt, maxTokens: at + 8, sampling: GREEDY, stopTokenIds: new Set() });
  let counts = new Map<string, number>();
  for (let s = 0; s <= at; s++) {
    const r = countCalls(() => core.step());
    if (s === at) counts = r.counts;
  }
  while (core.hasUnfinished()) core.step();
  core.dispose();
  return counts;
}

const one = await stepCalls(L);
const two = await stepCalls(2 * L);
const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const names = [...new Set([...one.keys(), ...two.keys()])];
const perLayer = names.map((n) => [n, ((two.get(n) ?? 0) - (one.get(n) ?? 0)) / L] as const).filter(([, c]) => c !== 0)
  .sort((a, b) => b[1] - a[1]);
const perStep = names.map((n) => [n, (one.get(n) ?? 0) - L * (((two.get(n) ?? 0) - (one.get(n) ?? 0)) / L)] as const)
  .filter(([, c]) => c !== 0).sort((a, b) => b[1] - a[1]);
const fmt = (xs: readonly (readonly [string, number])[]) => xs.map(([n, c]) => `${n.replace(/^vmlx_/, "")} ${c}`).join(", ");
console.log(`EngineCore batch-1 decode step ${at}: ${sum(one)} FFI calls at ${L} layers, ${sum(two)} at ${2 * L}`);
console.log(`per layer: ${(sum(two) - sum(one)) / L} (${fmt(perLayer)})`);
console.log(`per step: ${sum(one) - (sum(two) - sum(one))} (${fmt(perStep)})`);
