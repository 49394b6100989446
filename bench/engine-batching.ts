/**
 * Two engine figures, in-process on EngineCore, in one run on one machine:
 *  - prefix-hit TTFT over cold TTFT for a shared prefix (default 2048 tokens): a cold request, then a request
 *    with the same prefix and a new 16-token suffix (served from the prefix cache), medians over rounds;
 *  - batching gain: aggregate decode tok/s with 8 concurrent greedy requests over 1 request.
 * Random weights in 4-bit at the shapes of `--arch` (Qwen3-0.6B by default; Llama-3.2-1B, Llama-3.1-8B); `--layers N`
 * shrinks the depth on slow machines (default: the arch's own). `--prefix-only` skips the batching figure.
 *
 *   bun bench/engine-batching.ts [--arch qwen3-0.6b] [--layers N] [--prefix 2048] [--tokens 64] [--concurrency 8]
 *     [--rounds 3] [--prefix-only]
 */
import { parseArgs } from "node:util";
import * as mx from "../src/mlx/index.ts";
import { EngineCore } from "../src/engine/engine-core/engine-core.ts";
import { tinyModel } from "../src/engine/runner/testing.ts";
import { MODEL_SHAPES } from "./model-shapes.ts";
import { GREEDY } from "../src/engine/sampling/params.ts";
import { describeMachine } from "./ffi/machine.ts";

const { values } = parseArgs({
  options: {
    arch: { type: "string", default: "qwen3-0.6b" },
    layers: { type: "string" },
    "prefix-only": { type: "boolean", default: false },
    prefix: { type: "string", default: "2048" },
    tokens: { type: "string", default: "64" },
    concurrency: { type: "string", default: "8" },
    rounds: { type: "string", default: "3" },
    dtype: { type: "string", default: "bfloat16" },
  },
});
const prefixLen = Number(values.prefix);
const maxTokens = Number(values.tokens);
const conc = Number(values.concurrency);
const rounds = Number(values.rounds);
const arch = MODEL_SHAPES[values.arch as keyof typeof MODEL_SHAPES];
if (!arch) throw new Error(`--arch must be one of ${Object.keys(MODEL_SHAPES).join(", ")}`);
const { family, ...shape } = arch;
const VOCAB = shape.vocabSize;
const layers = Number(values.layers ?? shape.numLayers);

const model = await tinyModel(family, { ...shape, seed: 1, numLayers: layers, dtype: values.dtype as mx.Dtype, quantBits: 4 });
const core = new EngineCore(model, { maxModelLen: prefixLen + 256, maxNumSeqs: Math.max(conc, 8), maxNumBatchedTokens: 4096 });
const ids = (n: number, seed: number) => Array.from({ length: n }, (_, i) => (i * 7919 + seed * 104729 + 13) % VOCAB);
let next = 0;

/** Runs the requests to completion; returns per-request TTFT (ms) and the aggregate decode tok/s. */
function run(prompts: number[][], tokens: number): { ttft: number[]; decodeTps: number } {
  const start = performance.now();
  const ttft = new Map<string, number>();
  let firstAll = 0;
  let decoded = 0;
  for (const p of prompts) core.addRequest({ requestId: `r${next++}`, promptTokenIds: p, sampling: GREEDY, maxTokens: tokens, stopTokenIds: new Set() });
  while (core.hasUnfinished()) {
    const out = core.step();
    const now = performance.now();
    for (const t of out) {
      if (!ttft.has(t.requestId)) ttft.set(t.requestId, now - start);
      else decoded++;
    }
    if (ttft.size === prompts.length && firstAll === 0) firstAll = now;
  }
  const end = performance.now();
  return { ttft: [...ttft.values()], decodeTps: decoded / ((end - (firstAll || start)) / 1000) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
core.warmup(); // as the server does on start-up (decode sizes, the attention kernel's long-context variants)
run([ids(64, 999)], 4); // warm-up (kernel compilation, allocations)

const cold: number[] = [];
const hit: number[] = [];
for (let r = 0; r < rounds; r++) {
  const prefix = ids(prefixLen, r + 1);
  cold.push(run([[...prefix, ...ids(16, 100 + r)]], 1).ttft[0]!);
  hit.push(run([[...prefix, ...ids(16, 200 + r)]], 1).ttft[0]!);
}
const single: number[] = [];
const batched: number[] = [];
for (let r = 0; r < (values["prefix-only"] ? 0 : rounds); r++) {
  single.push(run([ids(128, 300 + r)], maxTokens).decodeTps);
  batched.push(run(Array.from({ length: conc }, (_, i) => ids(128, 400 + r * conc + i)), maxTokens).decodeTps);
}
const stats = core.stats();
const m = describeMachine();
console.log(`machine: ${m.gpu ?? `${m.cpuModel} x${m.logicalCores}`} · backend ${mx.info().backend} · ${values.arch} shapes, ${layers} layers, 4-bit`);
console.log(`prefix ${prefixLen} tokens: cold TTFT ${median(cold).toFixed(1)} ms, prefix-hit TTFT ${median(hit).toFixed(1)} ms, ` +
  `ratio ${(median(hit) / median(cold)).toFixed(3)} (goal <= 0.25); prefix-cache hits ${stats.prefixCacheHits}/${stats.prefixCacheQueries} tokens`);
// Round 0 holds the first use of the cold and hit shapes (kernel compiles, pool growth): shown, and outvoted by the median.
console.log(`  rounds (ms): cold ${cold.map((x) => x.toFixed(1)).join(", ")}; hit ${hit.map((x) => x.toFixed(1)).join(", ")}` +
  `; prefill attention ${process.env.VLLM_MLX_PAGED_PREFILL || "default"}`);
if (single.length) console.log(`decode: 1 request ${median(single).toFixed(1)} tok/s, ${conc} concurrent ${median(batched).toFixed(1)} tok/s aggregate, ` +
  `batching gain ${(median(batched) / median(single)).toFixed(2)}x`);
