/**
 * Decode tok/s with a JSON schema over decode tok/s without, same prompt, on the default model (SmolLM2-135M).
 * Decode rate = (completion tokens - 1) / (time from the first token to the last). Runs alternate free and
 * constrained, `ROUNDS` each, with ignore-nothing greedy sampling and a fixed token budget.
 *   bun bench/structured/decode-bench.ts [rounds]
 */
import { createEngine } from "../../src/engine/create.ts";
import { defaultModelPath } from "../../src/models/default-model.ts";
import type { GenerateRequest } from "../../src/engine/protocol.ts";

const ROUNDS = Number(process.argv[2] ?? 5);
const engine = await createEngine({ model: await defaultModelPath() });
const schema = {
  type: "object",
  properties: {
    items: { type: "array", items: { type: "object", properties: { name: { type: "string" }, qty: { type: "integer" } }, required: ["name", "qty"] } },
  },
  required: ["items"],
};
const request = (structured: boolean): GenerateRequest => ({
  kind: "chat", requestId: "b", messages: [{ role: "user", content: "List twenty grocery items with quantities as JSON." }],
  sampling: { presencePenalty: 0, frequencyPenalty: 0, logitBias: {}, stop: [], n: 1, logprobs: false, topLogprobs: 0, maxTokens: 128, temperature: 0 },
  ...(structured ? { structured: { type: "json_schema" as const, schema } } : {}),
});

async function decodeRate(structured: boolean): Promise<{ rate: number; tokens: number }> {
  let first = 0;
  let tokens = 0;
  for await (const e of engine.submit(request(structured), new AbortController().signal)) {
    if (e.type === "delta") {
      if (tokens === 0) first = performance.now();
      tokens += e.tokenIds.length;
    }
  }
  return { rate: (tokens - 1) / ((performance.now() - first) / 1000), tokens };
}

await decodeRate(false);
await decodeRate(true); // compiles and caches the grammar
const free: number[] = [];
const constrained: number[] = [];
let tokens = [0, 0];
for (let r = 0; r < ROUNDS; r++) {
  const a = await decodeRate(false);
  const b = await decodeRate(true);
  free.push(a.rate);
  constrained.push(b.rate);
  tokens = [a.tokens, b.tokens];
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
console.log(`free: ${median(free).toFixed(1)} tok/s (${tokens[0]} tokens); json_schema: ${median(constrained).toFixed(1)} tok/s (${tokens[1]} tokens); ratio ${(median(constrained) / median(free)).toFixed(3)}`);
await engine.close();
