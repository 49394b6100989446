/**
 * The pause a new grammar puts into the steps of running requests: one free request streams on the default
 * model (SmolLM2-135M) and, after 10 tokens, another request arrives. Prints the free stream's median gap
 * between tokens and its largest gap after the arrival, when the arrival is the first constrained request since
 * start-up, then (medians over trials) a free request (the control: its prefill joins a step), a request with a
 * never-seen JSON schema (its grammar is compiled on the model thread) and one with a schema seen before.
 *
 *   bun bench/structured/compile-pause.ts [--wait-ms 3000] [--trials 5]
 */
import { parseArgs } from "node:util";
import { createEngine } from "../../src/engine/create.ts";
import type { GenerateRequest } from "../../src/engine/protocol.ts";
import { defaultModelPath } from "../../src/models/default-model.ts";
import { StructuredCompiler } from "../../src/engine/structured/compiler.ts";
import { loadTokenizer } from "../../src/tokenizer/index.ts";
import { lenmlDir } from "../../src/tokenizer/testdata/fixtures.ts";

const { values } = parseArgs({ options: { "wait-ms": { type: "string", default: "3000" }, trials: { type: "string", default: "5" } } });
const schema = (i: number) => ({
  type: "object", properties: { [`field${i}`]: { type: "string", maxLength: 20 }, n: { type: "integer", minimum: i }, tags: { type: "array", items: { type: "string" } } },
  required: [`field${i}`, "n"],
});

// The pieces, alone on this thread: the token table (once per model, now built at load) and a schema's compile.
for (const [name, vocab] of [["qwen3", 151936], ["llama3_1", 128256]] as const) {
  const tok = await loadTokenizer(lenmlDir(name));
  let t = performance.now();
  const compiler = await StructuredCompiler.create(tok.files, vocab, [...tok.eosTokenIds]);
  const createMs = performance.now() - t;
  const compileMs: number[] = [];
  for (let i = 0; i < 4; i++) {
    t = performance.now();
    await compiler.compile({ type: "json_schema", schema: schema(1000 + i) });
    compileMs.push(performance.now() - t);
  }
  console.log(`${name} (${vocab}): token table ${createMs.toFixed(0)} ms; new schema compiles ${compileMs.map((m) => m.toFixed(0)).join(", ")} ms`);
}

const engine = await createEngine({ model: await defaultModelPath(), core: { maxNumSeqs: 4 } });
const sampling = { presencePenalty: 0, frequencyPenalty: 0, logitBias: {}, stop: [], n: 1, logprobs: false, topLogprobs: 0, temperature: 0 };
const request = (id: string, maxTokens: number, extra: Partial<GenerateRequest> = {}): GenerateRequest =>
  ({ kind: "chat", requestId: id, messages: [{ role: "user", content: "Tell me a long story about a lighthouse." }],
    sampling: { ...sampling, maxTokens }, ...extra }) as GenerateRequest;

async function drain(req: GenerateRequest): Promise<void> {
  for await (const _ of engine.submit(req, new AbortController().signal));
}

/** Streams a free request; after 20 tokens submits a constrained one. Returns the gaps (ms) before and after. */
async function trial(i: number, structured: boolean): Promise<{ median: number; maxAfter: number }> {
  const gaps: number[] = [];
  let last = 0;
  let n = 0;
  let arrived = -1;
  let constrained: Promise<void> | null = null;
  for await (const e of engine.submit(request(`free${i}`, 60), new AbortController().signal)) {
    if (e.type !== "delta") continue;
    const now = performance.now();
    if (n > 0) gaps.push(now - last);
    last = now;
    n += e.tokenIds.length;
    if (n >= 10 && !constrained) {
      arrived = gaps.length;
      constrained = drain(request(`json${i}`, 40, structured ? { structured: { type: "json_schema", schema: schema(i) } } : {}));
    }
  }
  await constrained;
  const sorted = gaps.slice(0, arrived).sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, maxAfter: Math.max(...gaps.slice(arrived)) };
}

await drain(request("warm", 8));
await Bun.sleep(Number(values["wait-ms"])); // idle after start-up, as a server is before its first requests
const first = await trial(1, true);
console.log(`first constrained request since start-up: largest gap after the arrival ${first.maxAfter.toFixed(1)} ms (median gap ${first.median.toFixed(1)} ms)`);
// The machine may be shared: medians over alternating trials.
const rows: Record<string, { median: number[]; maxAfter: number[] }> = { control: { median: [], maxAfter: [] }, "new schema": { median: [], maxAfter: [] }, "cached schema": { median: [], maxAfter: [] } };
for (let t = 0; t < Number(values.trials); t++) {
  for (const [label, r] of [["control", await trial(0, false)], ["new schema", await trial(100 + t, true)], ["cached schema", await trial(1, true)]] as const) {
    rows[label]!.median.push(r.median);
    rows[label]!.maxAfter.push(r.maxAfter);
  }
}
const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const [label, r] of Object.entries(rows)) {
  console.log(`${label.padEnd(14)} (${r.median.length} trials): median gap ${mid(r.median).toFixed(1)} ms, largest gap after the arrival ${mid(r.maxAfter).toFixed(1)} ms (median of trials)`);
}
await engine.close();
