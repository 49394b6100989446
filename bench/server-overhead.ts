/**
 * Server overhead: single-stream decode tok/s through `dist/vllm-mlx serve` (HTTP + SSE, raw fetch) divided by
 * in-process `generate()` on the same random-weight Qwen3 (real Qwen3 tokenizer, hidden 256, 8 layers), in the
 * same run, alternating, median of RUNS each. Decode rate = (tokens - 1) / (last token time - first token time),
 * so prefill and time-to-first-token are excluded on both sides. Goal: ratio >= 0.95.
 *
 *   bun bench/server-overhead.ts [--tokens 128] [--runs 5]
 */
import { rmSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { generate } from "../src/engine/runner/generate.ts";
import { GREEDY } from "../src/engine/sampling/params.ts";
import { loadModelDir } from "../src/models/load.ts";
import { loadTokenizer } from "../src/tokenizer/index.ts";
import { startServer } from "../tests/e2e/scripted-harness.ts";
import { writeQwen3BenchModel } from "./qwen3-bench-model.ts";

const SHAPE = { hidden: 256, layers: 8, heads: 8, kvHeads: 4, headDim: 32, intermediate: 1024 };

function rate(times: number[]): number {
  return ((times.length - 1) * 1000) / (times.at(-1)! - times[0]!);
}

async function viaServer(base: string, prompt: number[], tokens: number): Promise<number> {
  const res = await fetch(`${base}/v1/completions`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "bench", prompt, max_tokens: tokens, temperature: 0, stream: true, stream_options: { include_usage: true } }),
  });
  const times: number[] = [];
  let completionTokens = 0;
  let buffer = "";
  const decoder = new TextDecoder();
  for await (const chunk of res.body!) {
    buffer += decoder.decode(chunk, { stream: true });
    const events = buffer.split("\n\n");
    buffer = events.pop()!;
    for (const event of events) {
      const data = event.replace(/^data: /, "");
      if (data === "[DONE]") continue;
      const parsed = JSON.parse(data) as { choices: { text: string }[]; usage?: { completion_tokens: number } };
      if (parsed.choices[0]?.text) times.push(performance.now());
      if (parsed.usage) completionTokens = parsed.usage.completion_tokens;
    }
  }
  if (completionTokens !== tokens) throw new Error(`server produced ${completionTokens} tokens, wanted ${tokens}`);
  return rate(times) * ((tokens - 1) / (times.length - 1));
}

function inProcess(model: Parameters<typeof generate>[0], prompt: number[], tokens: number, eos: ReadonlySet<number>): number {
  const times: number[] = [];
  for (const _ of generate(model, prompt, { maxTokens: tokens, sampling: GREEDY, stopTokenIds: eos })) times.push(performance.now());
  if (times.length !== tokens) throw new Error(`generate produced ${times.length} tokens, wanted ${tokens}`);
  return rate(times);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const { values } = parseArgs({ options: { tokens: { type: "string", default: "128" }, runs: { type: "string", default: "5" } } });
const tokens = Number(values.tokens);
const runs = Number(values.runs);
const dir = writeQwen3BenchModel(SHAPE, "vmlx-bench-overhead-");
const server = await startServer(dir, "bench", ["--max-num-seqs", "1"]);
try {
  const { model } = await loadModelDir(dir);
  const tokenizer = await loadTokenizer(dir);
  const prompt = tokenizer.encode("Write a long story about a lighthouse keeper and the sea.");
  await viaServer(server.base, prompt, 8);
  inProcess(model, prompt, 8, tokenizer.eosTokenIds);
  const served: number[] = [];
  const local: number[] = [];
  for (let i = 0; i < runs; i++) {
    served.push(await viaServer(server.base, prompt, tokens));
    local.push(inProcess(model, prompt, tokens, tokenizer.eosTokenIds));
  }
  const ratio = median(served) / median(local);
  const fmt = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(", ");
  console.log(`machine: ${os.hostname()} (${os.cpus()[0]?.model ?? "?"}, ${os.cpus().length} cores), ${tokens} tokens, ${runs} runs`);
  console.log(`server   tok/s: ${fmt(served)} (median ${median(served).toFixed(1)})`);
  console.log(`in-proc  tok/s: ${fmt(local)} (median ${median(local).toFixed(1)})`);
  console.log(`ratio (server / in-process): ${ratio.toFixed(3)}`);
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
