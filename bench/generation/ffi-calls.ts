#!/usr/bin/env bun
/**
 * FFI calls and host-side graph-building time of one step's forward, per layer and per token: a single-sequence
 * decode step over the contiguous cache (what generate() runs), and the engine's flattened steps over the paged
 * pool (a batch of decodes; the same batch plus one prefill chunk). Random 4-bit weights at an 8B shape
 * (Llama-3.1-8B or Qwen3-8B), layer-reduced; the vocabulary is cut (`--vocab`) because it changes neither the
 * per-layer calls nor the graph's building time, only the memory the checkpoint takes.
 *
 *   bun bench/generation/ffi-calls.ts [--family llama|qwen3] [--layers 4] [--steps 20] [--batch 8] [--chunk 64]
 *
 * Graph building is timed without evaluation (each step is evaluated after its timer stops).
 */
import { parseArgs } from "node:util";
import * as mx from "../../src/mlx/index.ts";
import { createSchedulerConfig, Scheduler, Sequence } from "../../src/engine/core/index.ts";
import { PagedKvPool } from "../../src/engine/paged/kv-pool.ts";
import { ModelRunner } from "../../src/engine/runner/model-runner.ts";
import { type TinyFamily, tinyModel } from "../../src/engine/runner/testing.ts";
import type { DecoderModel } from "../../src/models/decoder.ts";
import { countCalls, totalCalls as sum } from "./ours.ts";

const { values } = parseArgs({
  options: {
    family: { type: "string", default: "llama" },
    layers: { type: "string", default: "4" },
    steps: { type: "string", default: "20" },
    batch: { type: "string", default: "8" },
    chunk: { type: "string", default: "64" },
    vocab: { type: "string", default: "32000" },
  },
});
const family = values.family as TinyFamily;
const numLayers = Number(values.layers);
const steps = Number(values.steps);
const VOCAB = Number(values.vocab);
const BLOCK = 16;
// Llama-3.1-8B and Qwen3-8B (bench/python/shapes.py; Qwen3-8B from its config.json).
const SHAPES = {
  llama: { hiddenSize: 4096, numHeads: 32, numKvHeads: 8, headDim: 128, intermediateSize: 14336 },
  qwen3: { hiddenSize: 4096, numHeads: 32, numKvHeads: 8, headDim: 128, intermediateSize: 12288 },
} as const;

const model = await tinyModel(family, { seed: 1, numLayers, vocabSize: VOCAB, dtype: "bfloat16", quantBits: 4,
  ...SHAPES[family as "llama" | "qwen3"] });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const top = (m: Map<string, number>, n = 12) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)
  .map(([k, v]) => `${k} ${v}`).join(", ");

/** generate()'s decode step: one token over the contiguous cache, logits of the last position. */
function contiguous(m: DecoderModel): void {
  const caches = m.makeCache();
  using prompt = mx.array(Array.from({ length: 16 }, (_, i) => i + 1), { dtype: "int32", shape: [1, 16] });
  mx.evaluate(m.forward(prompt, caches, { lastOnly: true }));
  const times: number[] = [];
  let calls = 0;
  let perLayer = new Map<string, number>();
  let prims: Record<string, number> = {};
  for (let s = 0; s < steps + 3; s++) {
    using tok = mx.array([s + 3], { dtype: "int32", shape: [1, 1] });
    const t0 = performance.now();
    const logits = m.forward(tok, caches, { lastOnly: true });
    times.push(performance.now() - t0);
    mx.evaluate(logits);
    logits.dispose();
  }
  {
    using tok = mx.array([7], { dtype: "int32", shape: [1, 1] });
    const counted = countLayer(m, () => m.forward(tok, caches, { lastOnly: true }));
    calls = counted.calls;
    perLayer = counted.layer;
    prims = mx.graphPrimitives(counted.result);
    counted.result.dispose();
  }
  for (const c of caches) c.dispose();
  report("decode, contiguous cache (generate)", times.slice(3), calls, perLayer, prims);
}

/** The engine's flattened steps over the paged pool: `batch` decodes, then the same plus a `chunk` prefill. */
function paged(m: DecoderModel, batch: number, chunk: number): void {
  const c = m.spec.config;
  const pool = new PagedKvPool({ numLayers: m.layers.length, numBlocks: 256, blockSize: BLOCK, numKvHeads: c.numKeyValueHeads,
    headDim: c.headDim, dtype: "bfloat16" });
  const runner = new ModelRunner(m, pool);
  const config = createSchedulerConfig({ numBlocks: 256, blockSize: BLOCK, maxNumSeqs: batch + 4, maxNumBatchedTokens: 4096,
    longPrefillTokenThreshold: chunk });
  let seed = 0;
  const ids = (n: number) => Array.from({ length: n }, (_, i) => (i * 7919 + ++seed * 104729 + 13) % VOCAB);
  const add = (s: Scheduler, n: number) => s.add(new Sequence({ promptTokenIds: ids(n), maxTokens: 1000, stopTokenIds: new Set() }));
  for (const mixed of [false, true]) {
    const scheduler = new Scheduler(config);
    for (let i = 0; i < batch; i++) add(scheduler, 32);
    const times: number[] = [];
    let calls = 0;
    let perLayer = new Map<string, number>();
    let prims: Record<string, number> = {};
    for (let s = 0; s < steps + 4; s++) {
      if (mixed && s >= 1) add(scheduler, chunk + 1);
      if (mixed) for (const seq of scheduler.running) if (seq.numPromptTokens === chunk + 1 && seq.numOutputTokens > 0) scheduler.abort(seq.id);
      const output = scheduler.schedule();
      const t0 = performance.now();
      const counted = s === steps + 3 ? countLayer(m, () => runner.execute(output)) : null;
      const logits = counted ? counted.result : runner.execute(output);
      const t1 = performance.now();
      if (counted) [calls, perLayer, prims] = [counted.calls, counted.layer, mx.graphPrimitives(...(logits ? [logits] : []), ...pool.arrays())];
      else if (s >= 4) times.push(t1 - t0);
      const next = logits ? mx.argmax(logits, -1) : null;
      logits?.dispose();
      if (next) mx.evaluate(next, ...pool.arrays());
      const tokens = next ? next.toList() : [];
      next?.dispose();
      scheduler.updateFromOutput(output, tokens);
    }
    report(mixed ? `mixed, batch ${batch} + a ${chunk}-token chunk (paged)` : `decode, batch ${batch} (paged)`, times, calls, perLayer,
      prims);
  }
  pool.dispose();
}

/** Runs `fn` with every FFI call counted; `layer` holds the calls made inside the second layer's forward. */
function countLayer<T>(m: DecoderModel, fn: () => T): { result: T; calls: number; layer: Map<string, number> } {
  const target = m.layers[1]!;
  const original = target.forward;
  const layer = new Map<string, number>();
  const counts = new Map<string, number>();
  target.forward = function (this: typeof target, ...args: Parameters<typeof original>) {
    const before = new Map(counts);
    const out = original.apply(this, args);
    for (const [k, v] of counts) if (v - (before.get(k) ?? 0) > 0) layer.set(k, v - (before.get(k) ?? 0));
    return out;
  };
  try {
    const { result } = countCalls(fn, counts);
    return { result, calls: sum(counts), layer };
  } finally {
    target.forward = original;
  }
}

function report(label: string, times: number[], calls: number, perLayer: Map<string, number> | null,
  prims: Record<string, number>): void {
  console.log(`${label}: forward graph ${median(times).toFixed(3)} ms (median of ${times.length}; min ${Math.min(...times).toFixed(3)}), ` +
    `${calls} FFI calls (${(calls / numLayers).toFixed(1)} per layer incl. embed/head)`);
  if (perLayer) console.log(`  one layer: ${sum(perLayer)} calls: ${top(perLayer, 40)}`);
  const p = new Map(Object.entries(prims));
  console.log(`  MLX primitives the step's graph holds: ${sum(p)} (${(sum(p) / numLayers).toFixed(1)} per layer incl. embed/head): ` +
    top(p, 40));
}

console.log(`${family}, 8B shapes, ${numLayers} layers, 4-bit, vocab ${VOCAB}, backend ${mx.info().backend}`);
contiguous(model);
paged(model, Number(values.batch), Number(values.chunk));
