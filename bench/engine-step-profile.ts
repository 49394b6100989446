/**
 * Where a step's time goes on the host, phase by phase, with the same calls EngineCore makes, run one at a time
 * (no async scheduling, so each phase is seen alone): schedule, prepareStep (host inputs), the forward's graph
 * (ModelRunner.execute less prepareStep), the sample's graph, async_eval (on the CPU backend it runs much of
 * the work before returning), waiting for the device (readSample), and updateFromOutput. Decode steps at a fixed batch, then mixed steps (decodes plus one prefill
 * chunk), then prefix hits (`--hit` new tokens over a cached `--prefix`-token prefix, one request a step, as
 * bench/engine-batching.ts's hit TTFT) and batch-1 decodes at that context, under each prefill attention path
 * (`VLLM_MLX_PAGED_PREFILL`: the default, `dense`, `kernel`). The forward graph's FFI calls are counted once.
 * Random weights at Qwen3-0.6B shapes in 4-bit; `--layers N` shrinks the depth on slow machines.
 *
 *   bun bench/engine-step-profile.ts [--layers 28] [--batch 8] [--chunk 64] [--steps 24] [--dtype bfloat16]
 *     [--prefix 2048] [--hit 16] [--only hit]
 */
import { parseArgs } from "node:util";
import * as mx from "../src/mlx/index.ts";
import { createSchedulerConfig, Scheduler, Sequence } from "../src/engine/core/index.ts";
import { PagedKvPool } from "../src/engine/paged/kv-pool.ts";
import { prepareStep } from "../src/engine/runner/inputs.ts";
import { ModelRunner } from "../src/engine/runner/model-runner.ts";
import { disposeSample, readSample } from "../src/engine/runner/sample-step.ts";
import { tinyModel } from "../src/engine/runner/testing.ts";
import { QWEN3_06B } from "./model-shapes.ts";
import { GREEDY } from "../src/engine/sampling/params.ts";
import { type SamplerRow, sample } from "../src/engine/sampling/sampler.ts";
import { describeMachine } from "./ffi/machine.ts";
import { countCalls } from "./generation/ours.ts";

const { values } = parseArgs({
  options: {
    layers: { type: "string", default: "28" },
    batch: { type: "string", default: "8" },
    chunk: { type: "string", default: "64" },
    steps: { type: "string", default: "24" },
    dtype: { type: "string", default: "bfloat16" },
    prefix: { type: "string", default: "2048" },
    hit: { type: "string", default: "16" },
    only: { type: "string", default: "" },
  },
});
const batch = Number(values.batch);
const chunk = Number(values.chunk);
const steps = Number(values.steps);
const VOCAB = QWEN3_06B.vocabSize;
const BLOCK = 16;
const model = await tinyModel("qwen3", {
  ...QWEN3_06B, seed: 1, numLayers: Number(values.layers), dtype: values.dtype as mx.Dtype, quantBits: 4,
});
const c = model.spec.config;
const pool = new PagedKvPool({ numLayers: model.layers.length, numBlocks: 1024 + Math.ceil(Number(values.prefix) / BLOCK) * 2, blockSize: BLOCK, numKvHeads: c.numKeyValueHeads,
  headDim: c.headDim, dtype: values.dtype as mx.Dtype });
const runner = new ModelRunner(model, pool, null, mx.gpuAvailable()); // padded steps on GPU, as EngineCore
const ids = (n: number, seed: number) => Array.from({ length: n }, (_, i) => (i * 7919 + seed * 104729 + 13) % VOCAB);
const PHASES = ["schedule", "inputs", "forward graph", "sample graph", "async_eval", "device wait", "update"] as const;
type Phase = (typeof PHASES)[number];

let forwardCalls = 0;

/** Runs steps until `count` were measured (after 4 warm-up steps); `feed` adds work before each step. */
function profile(scheduler: Scheduler, count: number, feed: (step: number) => void): Record<Phase, number[]> {
  const times = Object.fromEntries(PHASES.map((p) => [p, [] as number[]])) as Record<Phase, number[]>;
  forwardCalls = 0;
  const row: SamplerRow = { params: GREEDY, outputCounts: new Map(), promptTokens: new Set(), step: 0 };
  for (let s = 0; s < count + 4; s++) {
    feed(s);
    const t0 = performance.now();
    const output = scheduler.schedule();
    const t1 = performance.now();
    prepareStep(output.scheduled, BLOCK);
    const t2 = performance.now();
    const counted = s === 3 ? countCalls(() => runner.execute(output)) : null;
    const logits = counted ? counted.result : runner.execute(output);
    const t3 = performance.now();
    if (counted) forwardCalls = [...counted.counts.values()].reduce((a, b) => a + b, 0);
    const rows = output.scheduled.filter((e) => e.emitsToken).map(() => row);
    const result = logits ? sample(logits, rows) : null;
    logits?.dispose();
    const t4 = performance.now();
    if (result) mx.asyncEval(result.tokens, ...pool.arrays()); // what sampleAsync queues
    const t5 = performance.now();
    const tokens = result ? readSample(result).map((t) => t.token) : [];
    if (result) disposeSample(result);
    const t6 = performance.now();
    scheduler.updateFromOutput(output, tokens);
    const t7 = performance.now();
    if (s < 4) continue;
    [t1 - t0, t2 - t1, t3 - t2 - (t2 - t1), t4 - t3, t5 - t4, t6 - t5, t7 - t6].forEach((ms, i) => times[PHASES[i]!].push(ms));
  }
  return times;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
function report(label: string, times: Record<Phase, number[]>): void {
  const cells = PHASES.map((p) => `${p} ${median(times[p]).toFixed(2)}`);
  const total = PHASES.reduce((a, p) => a + median(times[p]), 0);
  const device = median(times.async_eval) + median(times["device wait"]);
  const host = total - device;
  console.log(`${label}: ${cells.join(" · ")} ms; total ${total.toFixed(2)} ms, host-only phases ${host.toFixed(2)} ms ` +
    `(${((100 * host) / total).toFixed(1)}%); ${forwardCalls} FFI calls in execute`);
}

const config = createSchedulerConfig({ numBlocks: 1024, blockSize: BLOCK, maxNumSeqs: batch + 4, maxNumBatchedTokens: 4096,
  longPrefillTokenThreshold: chunk });
let seed = 0;
const add = (s: Scheduler, n: number) => s.add(new Sequence({ promptTokenIds: ids(n, seed++), maxTokens: 1000, stopTokenIds: new Set() }));
const m = describeMachine();
console.log(`machine: ${m.gpu ?? `${m.cpuModel} x${m.logicalCores}`} · backend ${mx.info().backend} · ${values.layers} layers · ${values.dtype}`);
if (values.only !== "hit") {
  const decodeOnly = new Scheduler(config);
  for (let i = 0; i < batch; i++) add(decodeOnly, 32);
  report(`decode, batch ${batch}`, profile(decodeOnly, steps, () => undefined));
  const mixed = new Scheduler(config);
  for (let i = 0; i < batch; i++) add(mixed, 32);
  // A new prompt of one chunk every step once the batch decodes: every measured step holds `batch` decodes and a chunk.
  const mixedTimes = profile(mixed, steps, (s) => {
    if (s >= 1) add(mixed, chunk + 1);
    for (const seq of mixed.running) if (seq.numPromptTokens === chunk + 1 && seq.numOutputTokens > 0) mixed.abort(seq.id);
  });
  report(`mixed, batch ${batch} + a ${chunk}-token chunk`, mixedTimes);
}
const prefixLen = Number(values.prefix);
const hitLen = Number(values.hit);
const prefix = ids(prefixLen, 7);
for (const mode of [undefined, "dense", "kernel"]) {
  if (mode === undefined) delete process.env.VLLM_MLX_PAGED_PREFILL;
  else process.env.VLLM_MLX_PAGED_PREFILL = mode;
  const label = `prefill attention ${mode ?? "default"}`;
  // A fresh scheduler whose prefix cache holds the prefix (computed by a cold request first), then one new
  // request a step: its first step is the hit, a `hitLen`-token chunk over the cached prefix.
  const long = createSchedulerConfig({ numBlocks: pool.spec.numBlocks, blockSize: BLOCK, maxNumSeqs: 4,
    maxNumBatchedTokens: prefixLen + 256 });
  const hits = new Scheduler(long);
  hits.add(new Sequence({ promptTokenIds: [...prefix, ...ids(hitLen, seed++)], maxTokens: 1, stopTokenIds: new Set() }));
  report(`${label}: prefix hit, ${hitLen} tokens over ${prefixLen} cached`, profile(hits, steps, (s) => {
    if (s === 0) return; // step 0 is the cold prefill
    hits.add(new Sequence({ promptTokenIds: [...prefix, ...ids(hitLen, seed++)], maxTokens: 1, stopTokenIds: new Set() }));
  }));
  const longDecode = new Scheduler(long);
  longDecode.add(new Sequence({ promptTokenIds: [...prefix, ...ids(hitLen, seed++)], maxTokens: 1000, stopTokenIds: new Set() }));
  report(`${label}: decode, batch 1 at ${prefixLen + hitLen} context`, profile(longDecode, steps, () => undefined));
}
pool.dispose();
