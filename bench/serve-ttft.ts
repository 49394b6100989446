/**
 * Where a streamed request's time to first token goes, through `serve`, at 1 and at C concurrent requests.
 * Starts `bun src/cli/main.ts serve` with `VLLM_MLX_TRACE=1` on a random-weight Qwen3 at small shapes with the real
 * Qwen3 tokenizer (bench/qwen3-bench-model.ts), sends random-word completions prompts of about `--input-len` tokens
 * as `vllm-mlx bench serve` does (a warm-up burst at C first), and splits each request's TTFT by the server's
 * trace marks (src/engine/trace.ts) into phases. Then EngineCore in-process, on the same model and token ids: its
 * own time to first token at 1 and C (add to the step that returns the token).
 *
 * `--model DIR` serves that folder instead (e.g. bench/peers/make-model.py's real shapes on a GPU); it is kept.
 *
 *   bun bench/serve-ttft.ts [--hidden 64] [--layers 2] [--model DIR] [--kv-mib 64] [--input-len 128] [--output-len 16]
 *     [--concurrency 8] [--rounds 3]
 *     [--flags="--no-async-scheduling"] [--timeline] [--log FILE (the server's stderr)]
 */
import { rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { type ClientConfig, sseData } from "../src/bench/client.ts";
import { randomDataset } from "../src/bench/datasets.ts";
import { calibrate } from "../src/bench/serve-bench.ts";
import { epochMs, parseTraceLine, type TraceMark } from "../src/engine/trace.ts";
import { inProcessTtft } from "./serve-ttft-core.ts";
import { phaseTable, type RequestTimes, type StepMark, timeline } from "./serve-ttft-phases.ts";
import { writeQwen3BenchModel } from "./qwen3-bench-model.ts";

const { values } = parseArgs({
  options: {
    hidden: { type: "string", default: "64" },
    layers: { type: "string", default: "2" },
    "input-len": { type: "string", default: "128" },
    "output-len": { type: "string", default: "16" },
    concurrency: { type: "string", default: "8" },
    rounds: { type: "string", default: "3" },
    flags: { type: "string", default: "" },
    timeline: { type: "boolean", default: false },
    log: { type: "string" },
    model: { type: "string" },
    "kv-mib": { type: "string", default: "64" },
  },
});
const hidden = Number(values.hidden);
const conc = Number(values.concurrency);
const rounds = Number(values.rounds);
const inputLen = Number(values["input-len"]);
const outputLen = Number(values["output-len"]);
const kvMib = Number(values["kv-mib"]);
const SERVE_FLAGS = ["--kv-cache-memory", `${kvMib}M`, "--max-model-len", "512", "--max-num-seqs", String(Math.max(conc, 8)),
  // The GPU's admission: a 128-token prompt is one prefill chunk (the CPU default cuts it at 64).
  "--long-prefill-token-threshold", "2048", ...values.flags.split(" ").filter((f) => f !== "")];

function freePort(): number {
  const probe = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

/** One streamed request with its own X-Request-Id; client-side epoch times of the send and the first text. */
async function send(base: string, id: string, prompt: string): Promise<RequestTimes> {
  const sent = epochMs();
  const res = await fetch(`${base}/v1/completions`, {
    method: "POST", headers: { "content-type": "application/json", "x-request-id": id },
    body: JSON.stringify({ model: "bench", prompt, max_tokens: outputLen, min_tokens: outputLen, ignore_eos: true, temperature: 0,
      stream: true, stream_options: { include_usage: true } }),
  });
  if (!res.ok || !res.body) throw new Error(`${id}: HTTP ${res.status} ${await res.text()}`);
  let first = 0;
  for await (const data of sseData(res.body)) {
    if (data === "[DONE]") break;
    const chunk = JSON.parse(data) as { choices?: { text?: string }[] };
    if (first === 0 && (chunk.choices?.[0]?.text ?? "") !== "") first = epochMs();
  }
  if (first === 0) throw new Error(`${id}: no text streamed`);
  return { id, sent, first };
}

async function startServe(dir: string, port: number): Promise<{ proc: Bun.Subprocess; lines: string[] }> {
  const proc = Bun.spawn(["bun", "src/cli/main.ts", "serve", dir, "--served-model-name", "bench", "--host", "127.0.0.1",
    "--port", String(port), ...SERVE_FLAGS], { env: { ...process.env, VLLM_MLX_TRACE: "1" }, stdout: "ignore", stderr: "pipe" });
  const lines: string[] = [];
  void (async () => {
    let buffer = "";
    for await (const bytes of proc.stderr as ReadableStream<Uint8Array>) {
      buffer += new TextDecoder().decode(bytes);
      const parts = buffer.split("\n");
      buffer = parts.pop()!;
      lines.push(...parts);
    }
  })();
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status === 200, () => false);
    if (ok) return { proc, lines };
    if (proc.exitCode !== null) break;
    await Bun.sleep(250);
  }
  proc.kill();
  throw new Error(`serve did not start:\n${lines.slice(-20).join("\n")}`);
}

const dir = values.model ?? writeQwen3BenchModel({ hidden, layers: Number(values.layers), heads: 4, kvHeads: 2, headDim: Math.max(16, hidden / 4),
  intermediate: hidden * 4 }, "vmlx-bench-ttft-");
const port = freePort();
const base = `http://127.0.0.1:${port}`;
const { proc, lines } = await startServe(dir, port);
const times: { c1: RequestTimes[]; cN: RequestTimes[] } = { c1: [], cN: [] };
let tokenPrompts: string[] = [];
try {
  const client: ClientConfig = { baseUrl: base, model: "bench", endpoint: "completions" };
  const calibration = await calibrate(client, 1);
  const prompts = (seed: number, n: number) => randomDataset({ numPrompts: n, inputLen, outputLen, seed, calibration }).map((p) => p.prompt);
  await Promise.all(prompts(1000, conc).map((p, i) => send(base, `warm-${i}`, p)));
  for (let r = 0; r < rounds; r++) {
    for (const [i, p] of prompts(10 * r + 1, 4).entries()) times.c1.push(await send(base, `c1-r${r}-${i}`, p));
    times.cN.push(...(await Promise.all(prompts(10 * r + 2, conc).map((p, i) => send(base, `c${conc}-r${r}-${i}`, p)))));
  }
  tokenPrompts = [...prompts(10 * rounds + 1, 4), ...prompts(10 * rounds + 2, conc)];
} finally {
  proc.kill("SIGTERM");
  await proc.exited;
}
if (values.log) writeFileSync(values.log, `${lines.join("\n")}\n`);
const marks = lines.map(parseTraceLine).filter((m): m is TraceMark => m !== null);
const steps = marks.filter((m) => m.ev === "w.step") as StepMark[];
const subject = values.model ?? `random Qwen3, hidden ${hidden}, ${values.layers} layers, real tokenizer`;
console.log(`machine: ${os.hostname()} (${os.cpus()[0]?.model ?? "?"}, ${os.cpus().length} cores); ${subject}; ` +
  `~${inputLen} prompt tokens, ${outputLen} out; serve ${SERVE_FLAGS.join(" ")}`);
console.log(phaseTable("c=1", times.c1, marks, steps));
console.log(phaseTable(`c=${conc}`, times.cN, marks, steps));
if (values.timeline) console.log(timeline(times.cN.slice(-conc), marks, steps));
const core = await inProcessTtft(dir, tokenPrompts.slice(0, 4), tokenPrompts.slice(4), { rounds, maxTokens: outputLen, kvMib });
const fmt = (xs: number[]) => `median ${core.median(xs).toFixed(1)} ms (${xs.map((x) => x.toFixed(1)).join(", ")})`;
console.log(`EngineCore in-process TTFT, c=1: ${fmt(core.c1)}`);
console.log(`EngineCore in-process TTFT, c=${conc}: ${fmt(core.cN)}`);
if (!values.model) rmSync(dir, { recursive: true, force: true });
