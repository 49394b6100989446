#!/usr/bin/env bun
/**
 * Default model (SmolLM2-135M-Instruct, Q4_1 GGUF) on the CPU: ours in-process (src/engine/runner/generate.ts: prefill,
 * then greedy decode) against llama.cpp (node-llama-cpp, prebuilt CPU binary, `node llama.mjs`) on the same GGUF,
 * with the same prompt token ids. Rounds alternate ours and llama.cpp; medians are reported, because other work
 * shares this machine's cores.
 *
 *   (cd bench/cpu-qmm && npm install)   # once: node-llama-cpp, pinned in package.json and the lock file
 *   bun bench/cpu-qmm/run.ts [--prompt 450] [--tokens 128] [--rounds 3] [--threads 2]
 *     [--isa auto|amx|avx512bf16|avx512|avx2|scalar]
 *
 * `--isa` sets our kernel's instruction set; VMLX_QMM_ISA=scalar does the same from the environment.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as mx from "../../src/mlx/index.ts";
import { generate } from "../../src/engine/runner/generate.ts";
import { GREEDY } from "../../src/engine/sampling/params.ts";
import { defaultModelPath } from "../../src/models/default-model.ts";
import { loadModel } from "../../src/models/load-any.ts";

const { values } = parseArgs({
  options: {
    prompt: { type: "string", default: "450" },
    tokens: { type: "string", default: "128" },
    rounds: { type: "string", default: "3" },
    threads: { type: "string", default: "2" },
    isa: { type: "string", default: "auto" },
    "skip-llama": { type: "boolean", default: false },
  },
});
const promptLen = Number(values.prompt);
const decodeTokens = Number(values.tokens);
const rounds = Number(values.rounds);
const threads = values.threads!;

interface Round {
  prefillTokPerS: number;
  decodeTokPerS: number;
}

const modelPath = await defaultModelPath();
// Ordinary vocabulary ids (SmolLM2's specials are 0..16), the same for both subjects.
const prompt = Array.from({ length: promptLen }, (_, i) => 100 + ((i * 7919 + 13) % 48000));
const promptFile = join(process.env.TMPDIR ?? "/tmp", `cpu-qmm-prompt-${process.pid}.json`);
await Bun.write(promptFile, JSON.stringify(prompt));

mx.setQmmCpuIsa(values.isa as mx.QmmCpuIsa);
const { model } = await loadModel(modelPath);

function ours(): Round {
  const t0 = performance.now();
  let tFirst = 0;
  let n = 0;
  const opts = { maxTokens: decodeTokens + 1, sampling: GREEDY, stopTokenIds: new Set<number>() };
  for (const _ of generate(model, prompt, opts)) {
    n++;
    if (n === 1) tFirst = performance.now();
  }
  const tEnd = performance.now();
  return { prefillTokPerS: promptLen / ((tFirst - t0) / 1000), decodeTokPerS: decodeTokens / ((tEnd - tFirst) / 1000) };
}

function llama(): Round {
  const proc = Bun.spawnSync(["node", join(import.meta.dir, "llama.mjs"), modelPath, promptFile, String(decodeTokens), threads], {
    stderr: "inherit",
  });
  if (proc.exitCode !== 0) throw new Error(`llama.mjs exited with ${proc.exitCode}`);
  const line = proc.stdout.toString().trim().split("\n").at(-1)!;
  return JSON.parse(line) as Round;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
ours(); // warm-up: first-call allocations and page faults
const results: { ours: Round[]; llama: Round[] } = { ours: [], llama: [] };
for (let r = 0; r < rounds; r++) {
  results.ours.push(ours());
  console.log(`round ${r + 1} ours      ${JSON.stringify(results.ours.at(-1))}`);
  if (values["skip-llama"]) continue;
  results.llama.push(llama());
  console.log(`round ${r + 1} llama.cpp ${JSON.stringify(results.llama.at(-1))}`);
}
const summary = (rs: Round[]) => ({
  prefill: median(rs.map((r) => r.prefillTokPerS)),
  decode: median(rs.map((r) => r.decodeTokPerS)),
});
const o = summary(results.ours);
console.log(`ours (isa ${mx.qmmCpuIsa()}): prefill ${o.prefill.toFixed(1)} tok/s, decode ${o.decode.toFixed(1)} tok/s (median of ${rounds})`);
if (!values["skip-llama"]) {
  const l = summary(results.llama);
  console.log(`llama.cpp (${threads} threads): prefill ${l.prefill.toFixed(1)} tok/s, decode ${l.decode.toFixed(1)} tok/s`);
  console.log(`ratio ours/llama.cpp: prefill ${(o.prefill / l.prefill).toFixed(2)}, decode ${(o.decode / l.decode).toFixed(2)}`);
}
