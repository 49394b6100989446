/**
 * Host time and FFI calls of queueing one masked sample (what EngineCore's deferred sample does after the masks),
 * without a forward running: logits [B, V] at the Qwen3 vocabulary, a real bitmask (the 12-object schema's first
 * step), greedy rows. Two formulations alternate in one process: `ops` (the op-by-op mask of
 * src/engine/sampling/token-bitmask-ops.ts) and `native` (one call, `mx.applyTokenBitmask`). Phases, each the
 * median over the iterations: mask (GrammarBitmasks.build), graph (mask + sampler graph), queue (asyncEval of the
 * sample). Each sample is evaluated after its timers stop.
 *
 *   bun bench/structured/masked-sample-host.ts [--batch 1] [--iters 200]
 */
import { parseArgs } from "node:util";
import * as mx from "../../src/mlx/index.ts";
import { disposeSample, sampleArrays } from "../../src/engine/runner/sample-step.ts";
import { GREEDY } from "../../src/engine/sampling/params.ts";
import { sample, type SamplerRow } from "../../src/engine/sampling/sampler.ts";
import { applyTokenBitmask } from "../../src/engine/sampling/token-bitmask.ts";
import { applyTokenBitmaskOps } from "../../src/engine/sampling/token-bitmask-ops.ts";
import { GrammarBitmasks } from "../../src/engine/structured/grammar-bitmask.ts";
import { XgrammarTokenGrammar } from "../../src/engine/structured/token-grammar.ts";
import { countCalls, totalCalls } from "../generation/ours.ts";
import { qwen3Subject, TWELVE_ITEMS, VOCAB } from "./subject.ts";

const { values } = parseArgs({ options: { batch: { type: "string", default: "1" }, iters: { type: "string", default: "200" } } });
const B = Number(values.batch);
const iters = Number(values.iters);

const { compiler } = await qwen3Subject();
const compiled = await compiler.compile(TWELVE_ITEMS);
const grammars = Array.from({ length: B }, () => new XgrammarTokenGrammar(compiler.matcher(compiled)));
const rows: SamplerRow[] = grammars.map(() => ({ params: GREEDY, outputCounts: new Map(), promptTokens: new Set(), step: 0 }));
using key = mx.randomKey(1);
using f = mx.normal([B, VOCAB], "float32", key, 0, 3);
using logits = mx.astype(f, "bfloat16");
mx.evaluate(logits);

const FORMS = { ops: applyTokenBitmaskOps, native: applyTokenBitmask } as const;
type Form = keyof typeof FORMS;
const times: Record<Form, { mask: number[]; graph: number[]; queue: number[]; calls: number }> = {
  ops: { mask: [], graph: [], queue: [], calls: 0 },
  native: { mask: [], graph: [], queue: [], calls: 0 },
};

/** `fn`'s result and how many FFI calls it made. */
function counted<T>(fn: () => T): { result: T; calls: number } {
  const { result, counts } = countCalls(fn);
  return { result, calls: totalCalls(counts) };
}

const masks = new GrammarBitmasks();
let firstTokens: Record<Form, number[]> = { ops: [], native: [] };
for (let i = 0; i < iters + 10; i++) {
  for (const form of (i % 2 ? ["ops", "native"] : ["native", "ops"]) as Form[]) {
    const t0 = performance.now();
    const bitmask = masks.build(grammars, VOCAB);
    const t1 = performance.now();
    const count = i === 0 ? counted : <T>(fn: () => T) => ({ result: fn(), calls: 0 });
    const { result: r, calls } = count(() => {
      using masked = FORMS[form](logits, bitmask);
      return sample(masked, rows);
    });
    const t2 = performance.now();
    const q = count(() => mx.asyncEval(...sampleArrays(r)));
    const t3 = performance.now();
    firstTokens[form] = r.tokens.toList();
    disposeSample(r);
    if (i === 0) times[form].calls = calls + q.calls;
    if (i < 10) continue; // warm-up (compiles, caches)
    times[form].mask.push((t1 - t0) * 1000);
    times[form].graph.push((t2 - t1) * 1000);
    times[form].queue.push((t3 - t2) * 1000);
  }
}
if (JSON.stringify(firstTokens.ops) !== JSON.stringify(firstTokens.native)) throw new Error("the two forms sampled different tokens");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`masked sample, host only: B ${B}, V ${VOCAB}, ${iters} iterations each (alternating), backend ${mx.info().backend}`);
for (const form of ["ops", "native"] as Form[]) {
  const t = times[form];
  console.log(`  ${form.padEnd(6)}: mask ${median(t.mask).toFixed(1)} µs, graph ${median(t.graph).toFixed(1)} µs, ` +
    `queue ${median(t.queue).toFixed(1)} µs; graph + queue ${(median(t.graph) + median(t.queue)).toFixed(1)} µs; ` +
    `${t.calls} FFI calls (graph + queue)`);
}
for (const g of grammars) g.dispose();
