/** Medians, ratios, the machine's description and the Markdown table of the generation benchmark. */
import { cpus } from "node:os";
import type { RunResult, StepProfile } from "./ours.ts";

export interface Side {
  prompt_tps: number;
  generation_tps: number;
  prompt_tps_runs: number[];
  generation_tps_runs: number[];
}

export interface ModelReport {
  spec: string;
  dir: string;
  shape: { hidden: number; layers: number; heads: number; kvHeads: number; vocab: number; bits: number | null };
  ours: Side;
  mlx_lm: Side;
  prefill_ratio: number;
  decode_ratio: number;
  /** Generated tokens identical to mlx-lm's (first run of each), out of decode_tokens. */
  matching_tokens: number;
  profile: StepProfile;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function side(runs: RunResult[]): Side {
  const p = runs.map((r) => r.prompt_tps);
  const g = runs.map((r) => r.generation_tps);
  return { prompt_tps: median(p), generation_tps: median(g), prompt_tps_runs: p, generation_tps_runs: g };
}

function sameUntil(a: number[], b: number[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

export function summarize(spec: string, dir: string, config: Record<string, any>, ours: RunResult[], mlx: RunResult[], profile: StepProfile): ModelReport {
  const o = side(ours);
  const m = side(mlx);
  return {
    spec,
    dir,
    shape: {
      hidden: config.hidden_size,
      layers: config.num_hidden_layers,
      heads: config.num_attention_heads,
      kvHeads: config.num_key_value_heads,
      vocab: config.vocab_size,
      bits: config.quantization?.bits ?? null,
    },
    ours: o,
    mlx_lm: m,
    prefill_ratio: o.prompt_tps / m.prompt_tps,
    decode_ratio: o.generation_tps / m.generation_tps,
    matching_tokens: sameUntil(ours[0]!.tokens, mlx[0]!.tokens),
    profile,
  };
}

function read(cmd: string[]): string {
  try {
    const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "ignore" });
    return p.exitCode === 0 ? p.stdout.toString().trim() : "";
  } catch {
    return "";
  }
}

/** CPU model and cores (and the GPU, when the backend uses one). */
export function machine(backend: string): string {
  const c = cpus();
  const cpu = `${c[0]?.model ?? "unknown CPU"}, ${c.length} logical cores`;
  const load = read(["cat", "/proc/loadavg"]).split(" ").slice(0, 3).join(" ");
  const gpu = backend === "cuda" ? read(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"]) : "";
  return `${process.platform} ${process.arch}; ${cpu}${gpu ? `; GPU ${gpu}` : ""}; load average at end ${load}`;
}

const f = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

export function renderMarkdown(r: {
  date: string; commit: string; command: string; machine: string; backend: string; python: string;
  prompt_tokens: number; decode_tokens: number; runs: number; models: ModelReport[];
}): string {
  const lines = [
    "# Single-stream generation: ours vs mlx-lm",
    "",
    `- date: ${r.date}`,
    `- commit: ${r.commit}`,
    `- machine: ${r.machine}`,
    `- backend: ${r.backend} (mlx-lm on the same MLX build family; python: ${r.python})`,
    `- workload: ${r.prompt_tokens}-token prompt (fixed pseudo-random ids), ${r.decode_tokens} generated tokens, greedy; ${r.runs} runs each, alternating order, medians`,
    `- command: \`${r.command}\``,
    "",
    "| model | prefill tok/s ours | prefill tok/s mlx-lm | prefill ratio | decode tok/s ours | decode tok/s mlx-lm | decode ratio | same tokens |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const m of r.models) {
    lines.push(`| ${m.spec} | ${f(m.ours.prompt_tps)} | ${f(m.mlx_lm.prompt_tps)} | ${m.prefill_ratio.toFixed(3)} | ${f(m.ours.generation_tps)} | ${f(m.mlx_lm.generation_tps)} | ${m.decode_ratio.toFixed(3)} | ${m.matching_tokens}/${r.decode_tokens} |`);
  }
  lines.push("", "Decode step profile (ours; pipelined like generate(): step n+1 queued before token n is read):", "",
    "| model | FFI calls / token | JS graph build ms | asyncEval ms | wait for token ms | step ms | top symbols |",
    "| --- | ---: | ---: | ---: | ---: | ---: | --- |");
  for (const m of r.models) {
    const p = m.profile;
    const top = p.topSymbols.map(([s, n]) => `${s} ${n}`).join(", ");
    lines.push(`| ${m.spec} | ${p.ffiCallsPerToken} | ${p.buildMs.toFixed(3)} | ${p.submitMs.toFixed(3)} | ${p.waitMs.toFixed(2)} | ${p.stepMs.toFixed(2)} | ${top} |`);
  }
  lines.push("", "Definitions (as mlx_lm.stream_generate): prefill tok/s = prompt tokens / time from start to the first generated token;",
    "decode tok/s = generated tokens / time from the first to the last generated token.", "");
  return lines.join("\n");
}
