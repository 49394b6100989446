/**
 * What a prefix hit does between its arrival and its first token, in-process on EngineCore (the engine-batching
 * bench's setup, random Qwen3-0.6B-shaped weights in 4-bit): the `step()` calls until its token, the forwards built
 * on the way (and their host ms) and the steps queued ahead of its read, for a hit of `--hit` new tokens over a
 * cached `--prefix`, for the same prompt again (every full block cached), and, to price the parts of its forward, for
 * the new tokens with no context and for the token after the first at the hit's context.
 *
 * `--max-tokens` (default 1, as engine-batching) is each request's maxTokens: with more than one, a step queued ahead
 * of the first token's read shows in "launched ahead" (and the token after the first then comes sooner).
 *
 *   bun bench/prefix-hit-anatomy.ts [--layers 4] [--prefix 2048] [--hit 16] [--rounds 3] [--max-tokens 1] [--dtype bfloat16]
 */
import { parseArgs } from "node:util";
import * as mx from "../src/mlx/index.ts";
import { EngineCore } from "../src/engine/engine-core/engine-core.ts";
import { ModelRunner } from "../src/engine/runner/model-runner.ts";
import { tinyModel } from "../src/engine/runner/testing.ts";
import { GREEDY } from "../src/engine/sampling/params.ts";
import { median } from "./ffi/spec.ts";
import { QWEN3_06B } from "./model-shapes.ts";

const { values } = parseArgs({
  options: {
    layers: { type: "string", default: "4" },
    prefix: { type: "string", default: "2048" },
    hit: { type: "string", default: "16" },
    rounds: { type: "string", default: "3" },
    "max-tokens": { type: "string", default: "1" },
    dtype: { type: "string", default: "bfloat16" },
  },
});
const prefixLen = Number(values.prefix);
const hitLen = Number(values.hit);
const VOCAB = QWEN3_06B.vocabSize;
const model = await tinyModel("qwen3", { ...QWEN3_06B, seed: 1, numLayers: Number(values.layers), dtype: values.dtype as mx.Dtype,
  quantBits: 4 });
const core = new EngineCore(model, { maxModelLen: prefixLen + 256, maxNumSeqs: 8, maxNumBatchedTokens: 4096 });
const ids = (n: number, seed: number) => Array.from({ length: n }, (_, i) => (i * 7919 + seed * 104729 + 13) % VOCAB);

/** Forwards built (ModelRunner.execute calls) and the host time spent building them. */
let forwards = 0;
let buildMs = 0;
const execute = ModelRunner.prototype.execute;
ModelRunner.prototype.execute = function (...args: Parameters<typeof execute>) {
  const t0 = performance.now();
  try {
    return execute.apply(this, args);
  } finally {
    forwards++;
    buildMs += performance.now() - t0;
  }
};

interface Trace { ttft: number; steps: number; forwards: number; buildMs: number; launchedAhead: number }
let next = 0;
/** One request to its first token: step() calls until it, forwards built on the way, wall time. */
function firstToken(prompt: number[], maxTokens = Number(values["max-tokens"])): Trace {
  forwards = 0;
  buildMs = 0;
  const ahead0 = core.numLaunchedAhead;
  const start = performance.now();
  core.addRequest({ requestId: `r${next++}`, promptTokenIds: prompt, sampling: GREEDY, maxTokens, stopTokenIds: new Set() });
  let steps = 0;
  let ttft = 0;
  let trace: Trace | null = null;
  while (core.hasUnfinished()) {
    const out = core.step();
    steps++;
    if (out.length > 0 && !trace) {
      ttft = performance.now() - start;
      trace = { ttft, steps, forwards, buildMs, launchedAhead: core.numLaunchedAhead - ahead0 };
    }
  }
  return trace!;
}

const show = (label: string, ts: Trace[]) => {
  const t = ts[ts.length - 1]!;
  console.log(`${label}: TTFT median ${median(ts.map((x) => x.ttft)).toFixed(1)} ms (${ts.map((x) => x.ttft.toFixed(1)).join(", ")}); ` +
    `${t.steps} step() call(s), ${t.forwards} forward(s) built (${median(ts.map((x) => x.buildMs)).toFixed(2)} ms host), ${t.launchedAhead} launched ahead`);
};

core.warmup();
firstToken(ids(64, 999), 4);
const rounds = Number(values.rounds);
const cold: Trace[] = [];
const hit: Trace[] = [];
const full: Trace[] = [];
const chunkAlone: Trace[] = [];
const decodeAt: Trace[] = [];
for (let r = 0; r < rounds; r++) {
  const prefix = ids(prefixLen, r + 1);
  const prompt = [...prefix, ...ids(hitLen, 100 + r)];
  cold.push(firstToken(prompt));
  hit.push(firstToken([...prefix, ...ids(hitLen, 200 + r)]));
  full.push(firstToken(prompt)); // the same prompt again: every full block cached
  chunkAlone.push(firstToken(ids(hitLen, 300 + r))); // the chunk's tokens with no context
  // A decode at the hit's context: the second token of a hit request, timed from its first.
  let firstAt = 0;
  core.addRequest({ requestId: `d${r}`, promptTokenIds: [...prefix, ...ids(hitLen, 400 + r)], sampling: GREEDY, maxTokens: 2, stopTokenIds: new Set() });
  forwards = 0;
  let got = 0;
  while (core.hasUnfinished()) {
    const out = core.step();
    if (out.length > 0 && ++got === 1) {
      firstAt = performance.now();
      forwards = 0;
      buildMs = 0;
    } else if (out.length > 0) decodeAt.push({ ttft: performance.now() - firstAt, steps: 1, forwards, buildMs, launchedAhead: 0 });
  }
}
const m = mx.info();
console.log(`backend ${m.backend} · qwen3-0.6b shapes, ${values.layers} layers, ${values.dtype}, 4-bit · prefix ${prefixLen}, hit ${hitLen}`);
show("cold", cold);
show(`hit (${hitLen} new tokens)`, hit);
show("full-prefix hit (same prompt)", full);
show(`${hitLen}-token prompt, no context`, chunkAlone);
show(`the token after the first at ${prefixLen + hitLen} context (timed from the first)`, decodeAt);
