/**
 * `vllm-mlx bench <model>`: the in-process benchmark (requests go straight to the engine), and the
 * `bench serve` subcommand for HTTP servers.
 *
 * @example
 *   vllm-mlx bench mlx-community/Qwen3-0.6B-4bit --prompts 8 --max-tokens 128 --concurrency 4 --output r.json
 */
import { writeFileSync } from "node:fs";
import { defineCommand, type SubCommandsDef } from "citty";
import type { Engine } from "../engine/protocol.ts";
import { runEngineBenchmark, type EngineBenchResult } from "../bench/engine-bench.ts";
import { engineBenchTable, resourceTable } from "../bench/engine-report.ts";
import { ProgressBar } from "../bench/progress.ts";
import { type MlxMemory, type ResourceReport, resourceReport } from "../bench/resources.ts";
import { BenchArgError, checkFlags, type FlagKind, parseIntFlag, parseNumberFlag } from "./bench-args.ts";
import { benchServeCommand } from "./bench-serve.ts";
import { parseVlmBenchArgs, runVlmBench, vlmFolder } from "./bench-vlm.ts";
import { loadMlx } from "./load-mlx.ts";
import { failWith } from "./logging.ts";

/** An engine the benchmark owns: it closes it when done. */
export type ClosableEngine = Engine & { close(): Promise<void> };
/** The shape of `createEngine` in src/engine/create.ts. */
export type EngineFactory = (options: { model: string }) => Promise<ClosableEngine>;

const ARGS = {
  model: { type: "positional", required: false, description: "Hugging Face repo id or local model folder" },
  prompts: { type: "string", default: "5", description: "Measured requests" },
  "max-tokens": { type: "string", default: "256", description: "Tokens generated per request" },
  temperature: { type: "string", default: "0", description: "Sampling temperature" },
  warmup: { type: "string", default: "1", description: "Warm-up requests (not measured)" },
  concurrency: { type: "string", default: "1", description: "Requests in flight at once" },
  output: { type: "string", description: "Write results as JSON here" },
  markdown: { type: "boolean", default: false, description: "Print tables as markdown" },
  video: { type: "boolean", default: false, description: "VLM: the video cases (2 to 32 frames) instead of images" },
  quick: { type: "boolean", default: false, description: "VLM: fewer cases (4 resolutions, or 3 frame counts)" },
} as const;

const FLAG_KINDS: Record<string, FlagKind> = { prompts: "string", "max-tokens": "string", temperature: "string",
  warmup: "string", concurrency: "string", output: "string", markdown: "boolean", video: "boolean", quick: "boolean" };

export interface BenchConfig {
  model: string;
  numPrompts: number;
  maxTokens: number;
  temperature: number;
  warmup: number;
  concurrency: number;
  output?: string;
  markdown: boolean;
}

type RawArgs = Partial<Record<keyof typeof ARGS, string | boolean | undefined>>;

/**
 * Parses citty's args; throws {@link BenchArgError} on a bad value.
 *
 * @example
 *   parseBenchArgs({ model: "m", prompts: "3" }).numPrompts; // 3
 */
export function parseBenchArgs(args: RawArgs): BenchConfig {
  const get = (name: keyof typeof ARGS, fallback: string) => {
    const value = args[name];
    return typeof value === "string" ? value : fallback;
  };
  const model = get("model", "");
  if (!model) throw new BenchArgError("give a model: vllm-mlx bench <model> (or vllm-mlx bench serve --url URL)");
  const output = get("output", "");
  return {
    model,
    numPrompts: parseIntFlag("prompts", get("prompts", "5"), 1),
    maxTokens: parseIntFlag("max-tokens", get("max-tokens", "256"), 1),
    temperature: parseNumberFlag("temperature", get("temperature", "0"), 0, 2),
    warmup: parseIntFlag("warmup", get("warmup", "1"), 0),
    concurrency: parseIntFlag("concurrency", get("concurrency", "1"), 1),
    ...(output ? { output } : {}),
    markdown: args.markdown === true,
  };
}

/**
 * Loads `createEngine` from src/engine/create.ts when a benchmark starts (not when the CLI does). The specifier is a
 * literal so that `bun build --compile` bundles the module: a computed one left the binary without it.
 */
export async function loadEngineFactory(): Promise<EngineFactory> {
  let module: { createEngine?: unknown };
  try {
    module = (await import("../engine/create.ts")) as { createEngine?: unknown };
  } catch (error) {
    throw new Error(`this build has no engine to benchmark in-process (${(error as Error).message}); ` +
      "use vllm-mlx bench serve --url against a running server");
  }
  if (typeof module.createEngine !== "function") throw new Error("src/engine/create.ts exports no createEngine");
  return module.createEngine as EngineFactory;
}

/** MLX allocator figures, when the MLX library is loadable. */
export async function mlxMemory(): Promise<MlxMemory | undefined> {
  const loaded = await loadMlx();
  if (!loaded.ok) return undefined;
  return { peakBytes: loaded.mx.getPeakMemory(), cacheBytes: loaded.mx.getCacheMemory(),
    activeBytes: loaded.mx.getActiveMemory() };
}

export interface BenchRunResult extends EngineBenchResult {
  resources: ResourceReport;
}

/**
 * Creates the engine, runs the benchmark, prints the tables, writes the JSON, closes the engine.
 *
 * @example
 *   await runBench(parseBenchArgs({ model: "m" }), await loadEngineFactory(), console.log);
 */
export async function runBench(config: BenchConfig, createEngine: EngineFactory, print: (line: string) => void,
  options: { progress?: ProgressBar; memory?: () => Promise<MlxMemory | undefined> } = {}): Promise<BenchRunResult> {
  const progress = options.progress ?? new ProgressBar();
  const engine = await createEngine({ model: config.model });
  try {
    const result = await runEngineBenchmark(engine, { numPrompts: config.numPrompts, maxTokens: config.maxTokens,
      temperature: config.temperature, warmup: config.warmup, concurrency: config.concurrency,
      onProgress: (done, total) => progress.update(done, total, `c=${config.concurrency}`) });
    const resources = resourceReport(await (options.memory ?? mlxMemory)());
    print(`${config.model}: ${config.numPrompts} requests, max ${config.maxTokens} tokens, concurrency ` +
      `${config.concurrency}, temperature ${config.temperature}`);
    print(engineBenchTable(result.summary, { markdown: config.markdown }));
    print("");
    print(resourceTable(resources, { markdown: config.markdown }));
    for (const e of new Set(result.records.flatMap((r) => (r.ok ? [] : [r.error])))) print(`failed request: ${e}`);
    if (config.output) {
      writeFileSync(config.output, `${JSON.stringify({ config, date: new Date().toISOString(),
        summary: result.summary, resources, records: result.records }, null, 2)}\n`);
    }
    return { ...result, resources };
  } finally {
    await engine.close();
  }
}

/** The first positional argument, skipping flag values. */
function firstPositional(rawArgs: readonly string[]): string | undefined {
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i] as string;
    if (!arg.startsWith("-")) return arg;
    if (!arg.includes("=") && FLAG_KINDS[arg.replace(/^--?/, "")] === "string") i++;
  }
  return undefined;
}

/** Whether this invocation is `bench serve ...`; set in `setup`, read when citty resolves subcommands. */
let servesHttp = true;

export const benchCommand = defineCommand({
  meta: { name: "bench", description: "Benchmark a model in-process, or a server with `bench serve`" },
  args: ARGS,
  subCommands: (): SubCommandsDef => (servesHttp ? { serve: benchServeCommand } : {}),
  setup({ rawArgs }) {
    servesHttp = firstPositional(rawArgs) === "serve";
  },
  async run({ args, rawArgs }) {
    if (firstPositional(rawArgs) === "serve") return;
    try {
      checkFlags(rawArgs, FLAG_KINDS);
      const vlmDir = typeof args.model === "string" && args.model ? await vlmFolder(args.model) : null;
      if (vlmDir) return void (await runVlmBench(parseVlmBenchArgs(args as RawArgs), vlmDir, (line) => console.log(line)));
      if (args.video || args.quick) throw new BenchArgError("--video and --quick are for vision-language models");
      await runBench(parseBenchArgs(args as RawArgs), await loadEngineFactory(), (line) => console.log(line));
    } catch (error) {
      if (error instanceof BenchArgError) return failWith(error.message, 2);
      failWith(error instanceof Error ? error.message : String(error));
    }
  },
});
