/**
 * `vllm-mlx bench serve --url URL`: benchmarks any OpenAI-compatible server over HTTP.
 *
 * @example
 *   vllm-mlx bench serve --url http://127.0.0.1:8000 --dataset random --input-len 256 --output-len 64 \
 *     --num-prompts 32 --concurrency 1,2,4,8 --goodput ttft:1000,tpot:100 --output r.json --svg chart.svg
 */
import { writeFileSync } from "node:fs";
import { defineCommand } from "citty";
import { type ClientConfig, type Endpoint, listModels } from "../bench/client.ts";
import { BenchImageSource, type ImageRequestSpec } from "../bench/images.ts";
import type { LoadShape } from "../bench/load.ts";
import type { Slo } from "../bench/metrics.ts";
import { ProgressBar } from "../bench/progress.ts";
import { type DatasetSpec, runServeBenchmark, type ServeBenchResult } from "../bench/serve-bench.ts";
import { serveBenchChart, serveBenchTable } from "../bench/serve-report.ts";
import { fmt } from "../bench/table.ts";
import {
  BenchArgError, checkFlags, checkOutputFolder, type FlagKind, parseChoice, parseConcurrencyList, parseGoodput, parseIntFlag,
  parseImageSize, parseNumberFlag, parseRequestRate,
} from "./bench-args.ts";
import { failWith } from "./logging.ts";

const ARGS = {
  url: { type: "string", description: "Server root, e.g. http://127.0.0.1:8000 (required)" },
  model: { type: "string", description: "Model name to send (default: the server's first /v1/models entry)" },
  endpoint: { type: "string", default: "completions", description: "completions or chat" },
  dataset: { type: "string", default: "random", description: "random or prefix-repetition" },
  "input-len": { type: "string", default: "128", description: "Prompt tokens (random dataset)" },
  "output-len": { type: "string", default: "32", description: "Generated tokens per request" },
  "num-prefixes": { type: "string", default: "4", description: "Shared prefixes (prefix-repetition)" },
  "prefix-len": { type: "string", default: "256", description: "Prefix tokens (prefix-repetition)" },
  "suffix-len": { type: "string", default: "32", description: "Suffix tokens (prefix-repetition)" },
  "num-prompts": { type: "string", default: "16", description: "Requests per run" },
  "prompts-per-concurrency": { type: "string", description: "At concurrency c, send at least this many times c requests" },
  concurrency: { type: "string", description: "Comma-separated concurrency levels, one run each (default 1)" },
  "request-rate": { type: "string", description: "Poisson arrivals at this many requests/s (or inf)" },
  "max-concurrency": { type: "string", description: "In-flight cap under --request-rate" },
  goodput: { type: "string", description: "SLOs for goodput: ttft:MS,tpot:MS,e2el:MS" },
  warmup: { type: "string", default: "1", description: "Warm-up requests before each run (times the concurrency, sent at it)" },
  temperature: { type: "string", default: "0", description: "Sampling temperature" },
  seed: { type: "string", default: "0", description: "Dataset seed" },
  "ignore-eos": { type: "boolean", default: true, description: "Send min_tokens/ignore_eos for fixed output lengths" },
  "image-size": { type: "string", description: "Send synthetic JPEG images of WxH with each chat request (needs --endpoint chat)" },
  "images-per-request": { type: "string", description: "Images per request with --image-size (default 1)" },
  "api-key": { type: "string", description: "Bearer token" },
  output: { type: "string", description: "Write results as JSON here" },
  svg: { type: "string", description: "Write a throughput/latency chart here" },
  title: { type: "string", description: "Chart title" },
  markdown: { type: "boolean", default: false, description: "Print the table as markdown" },
} as const;

const FLAG_KINDS: Record<string, FlagKind> = Object.fromEntries(
  Object.entries(ARGS).map(([name, def]) => [name, def.type === "boolean" ? "boolean" : "string"]),
);

/** Everything `bench serve` needs, parsed and checked. */
export interface BenchServeConfig {
  client: Omit<ClientConfig, "model" | "images"> & { model?: string };
  /** Images with every request (chat endpoint only). */
  images?: ImageRequestSpec;
  dataset: DatasetSpec;
  numPrompts: number;
  promptsPerConcurrency?: number;
  loads: LoadShape[];
  slo?: Slo;
  warmup: number;
  seed: number;
  output?: string;
  svg?: string;
  title?: string;
  markdown: boolean;
}

type RawArgs = Partial<Record<keyof typeof ARGS, string | boolean | undefined>>;

function str(args: RawArgs, name: keyof typeof ARGS): string | undefined {
  const value = args[name];
  return typeof value === "string" ? value : undefined;
}

function imageSpec(args: RawArgs, endpoint: Endpoint): ImageRequestSpec | undefined {
  const size = str(args, "image-size");
  const count = str(args, "images-per-request");
  if (size === undefined) {
    if (count !== undefined) throw new BenchArgError("--images-per-request needs --image-size");
    return undefined;
  }
  if (endpoint !== "chat") throw new BenchArgError("--image-size needs --endpoint chat (images travel in chat messages)");
  return { ...parseImageSize(size), perRequest: parseIntFlag("images-per-request", count ?? "1", 1) };
}

function datasetSpec(args: RawArgs): DatasetSpec {
  const int = (name: keyof typeof ARGS, fallback: string) => parseIntFlag(name, str(args, name) ?? fallback, 1);
  const outputLen = int("output-len", "32");
  const kind = parseChoice("dataset", str(args, "dataset") ?? "random", ["random", "prefix-repetition"] as const);
  if (kind === "random") return { kind, inputLen: int("input-len", "128"), outputLen };
  return { kind, numPrefixes: int("num-prefixes", "4"), prefixLen: int("prefix-len", "256"),
    suffixLen: int("suffix-len", "32"), outputLen };
}

function loadShapes(args: RawArgs): LoadShape[] {
  const concurrency = str(args, "concurrency");
  const rate = str(args, "request-rate");
  if (concurrency !== undefined && rate !== undefined) {
    throw new BenchArgError("give either --concurrency or --request-rate, not both");
  }
  if (rate === undefined) {
    if (str(args, "max-concurrency") !== undefined) throw new BenchArgError("--max-concurrency needs --request-rate");
    return parseConcurrencyList(concurrency ?? "1").map((c) => ({ kind: "concurrency", concurrency: c }));
  }
  const cap = str(args, "max-concurrency");
  return [{ kind: "rate", requestRate: parseRequestRate(rate),
    ...(cap === undefined ? {} : { maxConcurrency: parseIntFlag("max-concurrency", cap, 1) }) }];
}

/**
 * Parses citty's args into a config; throws {@link BenchArgError} on a bad value.
 *
 * @example
 *   parseBenchServeArgs({ url: "http://127.0.0.1:8000", concurrency: "1,4" }).loads.length; // 2
 */
export function parseBenchServeArgs(args: RawArgs): BenchServeConfig {
  const url = str(args, "url");
  if (!url) throw new BenchArgError("--url is required (e.g. --url http://127.0.0.1:8000)");
  if (!/^https?:\/\/[^/]+/.test(url)) throw new BenchArgError(`--url must be an http(s) URL (got '${url}')`);
  const endpoint = parseChoice<Endpoint>("endpoint", str(args, "endpoint") ?? "completions", ["completions", "chat"]);
  const goodput = str(args, "goodput");
  const apiKey = str(args, "api-key");
  const model = str(args, "model");
  const optional = (name: "output" | "svg" | "title") => (str(args, name) ? { [name]: str(args, name) } : {});
  const images = imageSpec(args, endpoint);
  return {
    ...(images ? { images } : {}),
    client: { baseUrl: url, endpoint, fixedOutput: args["ignore-eos"] !== false,
      temperature: parseNumberFlag("temperature", str(args, "temperature") ?? "0", 0, 2),
      ...(apiKey ? { apiKey } : {}), ...(model ? { model } : {}) },
    dataset: datasetSpec(args),
    numPrompts: parseIntFlag("num-prompts", str(args, "num-prompts") ?? "16", 1),
    ...(str(args, "prompts-per-concurrency")
      ? { promptsPerConcurrency: parseIntFlag("prompts-per-concurrency", str(args, "prompts-per-concurrency")!, 1) }
      : {}),
    loads: loadShapes(args),
    ...(goodput ? { slo: parseGoodput(goodput) } : {}),
    warmup: parseIntFlag("warmup", str(args, "warmup") ?? "1", 0),
    seed: parseIntFlag("seed", str(args, "seed") ?? "0", 0),
    ...optional("output"), ...optional("svg"), ...optional("title"),
    markdown: args.markdown === true,
  };
}

function datasetLabel(d: DatasetSpec, images?: ImageRequestSpec): string {
  const withImages = images ? ` + ${images.perRequest} image${images.perRequest === 1 ? "" : "s"} of ${images.width}x${images.height}` : "";
  return (d.kind === "random" ? `random ${d.inputLen} in / ${d.outputLen} out`
    : `prefix-repetition ${d.numPrefixes}x${d.prefixLen} + ${d.suffixLen} in / ${d.outputLen} out`) + withImages;
}

/**
 * Runs the benchmark, prints the table and writes the optional JSON and SVG files.
 *
 * @example
 *   await runBenchServe(parseBenchServeArgs({ url: "http://127.0.0.1:8000" }), console.log);
 */
export async function runBenchServe(config: BenchServeConfig, print: (line: string) => void,
  progress = new ProgressBar()): Promise<ServeBenchResult> {
  for (const [name, path] of [["output", config.output], ["svg", config.svg]] as const) {
    if (path !== undefined) checkOutputFolder(name, path);
  }
  const model = config.client.model ?? (await listModels(config.client).catch((error: unknown) => {
    throw new Error(`GET /v1/models at ${config.client.baseUrl} failed (is the server up?): ${String(error)}`);
  }))[0];
  if (!model) throw new BenchArgError("the server lists no models; pass --model");
  const client: ClientConfig = { ...config.client, model, ...(config.images ? { images: new BenchImageSource(config.images) } : {}) };
  const result = await runServeBenchmark({
    client, dataset: config.dataset, numPrompts: config.numPrompts, loads: config.loads, seed: config.seed,
    ...(config.promptsPerConcurrency ? { promptsPerConcurrency: config.promptsPerConcurrency } : {}),
    warmupRequests: config.warmup, ...(config.slo ? { slo: config.slo } : {}),
    onProgress: (e) => progress.update(e.finished, e.total, e.label),
  });
  const cal = result.calibration;
  const perSlot = config.promptsPerConcurrency ? ` (at least ${config.promptsPerConcurrency} x concurrency)` : "";
  print(`${model} @ ${client.baseUrl} (${client.endpoint}), ${datasetLabel(config.dataset, config.images)}, ${config.numPrompts} ` +
    `prompts per run${perSlot}; prompt length fit: ${fmt(cal.overheadTokens, 1)} + ${fmt(cal.tokensPerWord, 3)} tokens/word`);
  print(serveBenchTable(result.rows, { markdown: config.markdown }));
  for (const row of result.rows) for (const e of row.errors) print(`${row.label}: failed request: ${e}`);
  for (const row of result.rows) {
    const n = row.summary.withoutText;
    if (n > 0) print(`${row.label}: ${n} request(s) streamed no visible text (counted from usage, not in the timings)`);
  }
  if (config.output) {
    writeFileSync(config.output, `${JSON.stringify({ model, url: client.baseUrl, endpoint: client.endpoint,
      dataset: config.dataset, images: config.images ?? null, numPrompts: config.numPrompts, promptsPerConcurrency: config.promptsPerConcurrency ?? null,
      seed: config.seed, slo: config.slo ?? null,
      date: new Date().toISOString(), ...result }, null, 2)}\n`);
  }
  if (config.svg) {
    const title = config.title ?? model;
    writeFileSync(config.svg, serveBenchChart([{ name: model, rows: result.rows }], title, datasetLabel(config.dataset, config.images)));
  }
  return result;
}

export const benchServeCommand = defineCommand({
  meta: { name: "serve", description: "Benchmark a running OpenAI-compatible server over HTTP" },
  args: ARGS,
  async run({ args, rawArgs }) {
    try {
      checkFlags(rawArgs, FLAG_KINDS);
      const result = await runBenchServe(parseBenchServeArgs(args as RawArgs), (line) => console.log(line));
      if (result.rows.every((row) => row.summary.completed === 0)) failWith("bench serve: every request failed");
    } catch (error) {
      if (error instanceof BenchArgError) return failWith(error.message, 2);
      failWith(error instanceof Error ? error.message : String(error));
    }
  },
});
