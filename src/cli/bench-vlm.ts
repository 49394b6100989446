/**
 * `vllm-mlx bench <vlm>`: the VLM benchmark, chosen when the model's config names a vision-language family
 * (Qwen2-VL, Qwen2.5-VL, Qwen3-VL, Gemma 3, LLaVA 1.5, LLaVA-NeXT; video for the Qwen families).
 * Images at fixed resolutions (224×224 to 1920×1080), or with `--video` clips of 2 to 32 frames; `--quick`
 * runs fewer. Per case: encoder time, TTFT, decode tok/s and MLX peak memory.
 *
 * @example
 *   vllm-mlx bench mlx-community/Qwen2.5-VL-3B-Instruct-4bit --quick --max-tokens 64
 */
import { writeFileSync } from "node:fs";
import { resolveModel } from "../hub/index.ts";
import { runVlmBenchmark, type VlmCaseResult } from "../bench/vlm-bench.ts";
import { vlmCases } from "../bench/vlm-cases.ts";
import { vlmResultsTable, vlmSummary } from "../bench/vlm-report.ts";
import { isBenchVlm, loadVlmSubject } from "../bench/vlm-runner.ts";
import { BenchArgError, parseIntFlag } from "./bench-args.ts";

export interface VlmBenchConfig {
  model: string;
  video: boolean;
  quick: boolean;
  maxTokens: number;
  warmup: number;
  output?: string;
  markdown: boolean;
}

type RawArgs = Record<string, string | boolean | undefined>;

/**
 * The VLM benchmark's settings from citty's args. `--prompts`, `--concurrency` and `--temperature` belong to
 * the text benchmark; given here with other than their defaults they are an error, not silently ignored.
 *
 * @example
 *   parseVlmBenchArgs({ model: "m", video: true, "max-tokens": "64" }).maxTokens; // 64
 */
export function parseVlmBenchArgs(args: RawArgs): VlmBenchConfig {
  const str = (name: string, fallback: string) => (typeof args[name] === "string" ? (args[name] as string) : fallback);
  const model = str("model", "");
  if (!model) throw new BenchArgError("give a model: vllm-mlx bench <model>");
  for (const [name, fallback] of [["prompts", "5"], ["concurrency", "1"], ["temperature", "0"]] as const) {
    if (str(name, fallback) !== fallback) {
      throw new BenchArgError(`--${name} is for text models; the VLM benchmark runs its fixed cases one at a time, greedy`);
    }
  }
  const output = str("output", "");
  return {
    model,
    video: args.video === true,
    quick: args.quick === true,
    maxTokens: parseIntFlag("max-tokens", str("max-tokens", "256"), 2),
    warmup: parseIntFlag("warmup", str("warmup", "1"), 0),
    ...(output ? { output } : {}),
    markdown: args.markdown === true,
  };
}

/** The model's folder when it is a VLM this benchmark runs; null for anything else (the text benchmark). */
export async function vlmFolder(model: string): Promise<string | null> {
  let dir: string;
  try {
    dir = (await resolveModel(model)).dir;
  } catch {
    return null;
  }
  return (await isBenchVlm(dir)) ? dir : null;
}

/**
 * Loads the VLM, runs the cases, prints the table and summary, writes the JSON.
 *
 * @example
 *   await runVlmBench(parseVlmBenchArgs({ model: dir, quick: true }), dir, console.log);
 */
export async function runVlmBench(config: VlmBenchConfig, dir: string, print: (line: string) => void): Promise<VlmCaseResult[]> {
  const subject = await loadVlmSubject(dir);
  if (config.video && !subject.processor.processVideo) {
    throw new BenchArgError(`--video: this model (${subject.processor.family}) takes no video; its benchmark is the image one`);
  }
  const cases = vlmCases({ video: config.video, quick: config.quick });
  print(`${config.model}: ${config.video ? "video" : "image"} benchmark, ${cases.length} cases, ${config.maxTokens} tokens each ` +
    `(greedy, end-of-sequence ignored), warm-up ${config.warmup}, in-process (processor -> vision tower -> generate)`);
  const results = runVlmBenchmark(subject, {
    cases, maxTokens: config.maxTokens, warmup: config.warmup,
    onCase: (r, i) => print(`  [${i + 1}/${cases.length}] ${r.case.name}: ${r.timing ? `${r.timing.totalMs.toFixed(0)} ms` : `failed: ${r.error}`}`),
  });
  print("");
  print(vlmResultsTable(results, { markdown: config.markdown }));
  print("");
  for (const line of vlmSummary(results)) print(line);
  if (config.output) {
    writeFileSync(config.output, `${JSON.stringify({ config, date: new Date().toISOString(), results }, null, 2)}\n`);
  }
  return results;
}
