#!/usr/bin/env bun
/**
 * Single-stream generation benchmark: ours (in-process) against mlx-lm (generate_step, in a Python
 * subprocess) on the same random-weight checkpoints, the same prompt ids and the same token counts.
 * Runs alternate in order; medians are reported with ratios ours / mlx-lm.
 *
 *   bun bench/generation/run.ts                                   # the default (small, for a 2-core CPU)
 *   bun bench/generation/run.ts --models qwen3-0.6b:4,qwen3-0.6b:8,llama-3.2-1b:4,llama-3.2-1b:8 \
 *     --prompt 512 --decode 256 --runs 3 --backend cuda           # the real thing on a GPU machine
 *
 * Models are specs `shape:bits[:Llayers]` (made on demand by make-model.py under .cache/bench-models) or
 * model directories. Env: PYTHON_MLX (python with mlx + mlx-lm), VLLM_MLX_BACKEND (set from --backend).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { machine, renderMarkdown, summarize, type ModelReport } from "./report.ts";

const HERE = import.meta.dir;
const ROOT = resolve(HERE, "..", "..");
const { values: args } = parseArgs({
  options: {
    models: { type: "string", default: "qwen3-0.6b:4:L2" },
    prompt: { type: "string", default: "64" },
    decode: { type: "string", default: "16" },
    runs: { type: "string", default: "3" },
    backend: { type: "string", default: process.env.VLLM_MLX_BACKEND ?? "cpu" },
    "profile-steps": { type: "string", default: "8" },
    out: { type: "string", default: HERE },
    "models-dir": { type: "string", default: join(ROOT, ".cache", "bench-models") },
  },
});
const backend = args.backend!;
process.env.VLLM_MLX_BACKEND = backend;
const PYTHON = process.env.PYTHON_MLX ?? join(ROOT, ".cache", "oracle-venv", "bin", "python");
const promptLen = Number(args.prompt);
const decodeLen = Number(args.decode);
const runs = Number(args.runs);
const device = backend === "cpu" ? "cpu" : "gpu";

function sh(cmd: string[]): string {
  const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe", env: process.env });
  if (p.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed (${p.exitCode}):\n${p.stderr.toString()}`);
  return p.stdout.toString().trim();
}

function modelDir(spec: string): string {
  if (existsSync(join(spec, "config.json"))) return resolve(spec);
  const [shape, bits, layers] = spec.split(":");
  const cmd = [PYTHON, join(HERE, "make-model.py"), "--model", shape!, "--bits", bits ?? "4", "--out", args["models-dir"]!];
  if (layers) cmd.push("--layers", layers.replace(/^L/, ""));
  return sh(cmd).split("\n").at(-1)!;
}

/** Fixed pseudo-random prompt ids (same for both sides), below every model's vocabulary. */
function promptIds(n: number, vocab: number): number[] {
  let s = 12345;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % vocab;
  });
}

function runMlxLm(dir: string, promptFile: string) {
  const out = sh([PYTHON, join(HERE, "mlx_lm_gen.py"), "--model", dir, "--prompt-file", promptFile,
    "--max-tokens", String(decodeLen), "--device", device]);
  return JSON.parse(out.split("\n").at(-1)!);
}

const ours = await import("./ours.ts");
const reports: ModelReport[] = [];
for (const spec of args.models!.split(",")) {
  const dir = modelDir(spec);
  const config = await Bun.file(join(dir, "config.json")).json();
  const prompt = promptIds(promptLen, Math.min(config.vocab_size, 32000));
  const promptFile = `/tmp/bench-gen-prompt-${process.pid}.json`;
  writeFileSync(promptFile, JSON.stringify(prompt));
  console.error(`[${spec}] ${dir}`);
  const model = await ours.loadOurs(dir);
  ours.runOurs(model, prompt.slice(0, 16), 4);
  const oursRuns = [], mlxRuns = [];
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? ["ours", "mlx"] : ["mlx", "ours"];
    for (const who of order) {
      if (who === "ours") oursRuns.push(ours.runOurs(model, prompt, decodeLen));
      else mlxRuns.push(runMlxLm(dir, promptFile));
      const r = who === "ours" ? oursRuns.at(-1)! : mlxRuns.at(-1)!;
      console.error(`  run ${i + 1} ${who.padEnd(4)} prefill ${r.prompt_tps.toFixed(2)} tok/s, decode ${r.generation_tps.toFixed(2)} tok/s`);
    }
  }
  const profile = ours.profileDecode(model, prompt, Number(args["profile-steps"]));
  reports.push(summarize(spec, dir, config, oursRuns, mlxRuns, profile));
}

const result = {
  date: new Date().toISOString(),
  commit: sh(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]) + (sh(["git", "-C", ROOT, "status", "--porcelain"]) ? "+dirty" : ""),
  command: `bun bench/generation/run.ts ${process.argv.slice(2).join(" ")}`.trim(),
  machine: machine(backend),
  backend,
  python: PYTHON,
  prompt_tokens: promptLen,
  decode_tokens: decodeLen,
  runs,
  models: reports,
};
mkdirSync(args.out!, { recursive: true });
writeFileSync(join(args.out!, "results.json"), JSON.stringify(result, null, 2) + "\n");
const md = renderMarkdown(result);
writeFileSync(join(args.out!, "RESULTS.md"), md);
console.log(md);
