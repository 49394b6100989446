/**
 * `vllm-mlx eval gsm8k`: lm-evaluation-harness's GSM8K task (5-shot, strict and flexible answer
 * extraction) against any OpenAI-compatible server.
 *
 * @example
 *   vllm-mlx eval gsm8k --url http://127.0.0.1:8000/v1 --limit 50 --concurrency 8 --output results.json
 *   vllm-mlx eval gsm8k --data gsm8k-test.jsonl --num-shots 3 --max-tokens 256
 */
import { writeFileSync } from "node:fs";
import { defineCommand } from "citty";
import { listModels } from "../bench/client.ts";
import type { EvalClientConfig, EvalEndpoint } from "../eval/client.ts";
import { type Gsm8kSplits, loadGsm8kFromHub, readGsm8kJsonl, selectProblems } from "../eval/gsm8k-data.ts";
import { gsm8kResultsJson, gsm8kSummaryLines, type Gsm8kRunInfo } from "../eval/gsm8k-report.ts";
import { type Gsm8kRunResult, runGsm8k } from "../eval/gsm8k-run.ts";
import { EvalProgress } from "../eval/progress.ts";
import type { HubOptions } from "../hub/index.ts";
import { BenchArgError, checkFlags, checkOutputFolder, type FlagKind, parseChoice, parseIntFlag } from "./bench-args.ts";
import { failWith } from "./logging.ts";

const ARGS = {
  url: { type: "string", default: "http://127.0.0.1:8000/v1", description: "Server URL (with or without /v1)" },
  model: { type: "string", description: "Model name to send (default: the server's first /v1/models entry)" },
  "api-key": { type: "string", description: "Bearer token" },
  limit: { type: "string", description: "Ask only the first N problems (default: all 1,319 of the test split)" },
  "num-shots": { type: "string", default: "5", description: "Worked exemplars before each question" },
  "max-tokens": { type: "string", default: "256", description: "Tokens generated per problem at most" },
  concurrency: { type: "string", default: "1", description: "Requests in flight at once" },
  endpoint: { type: "string", default: "completions", description: "completions (as the harness) or chat" },
  data: { type: "string", description: "Local GSM8K JSONL (question, answer '… #### N') instead of the Hub" },
  output: { type: "string", description: "Write the summary and every problem's record as JSON here" },
} as const;

const FLAG_KINDS: Record<string, FlagKind> = Object.fromEntries(Object.keys(ARGS).map((name) => [name, "string"]));

/** Everything `eval gsm8k` needs, parsed and checked. */
export interface EvalGsm8kConfig {
  client: Omit<EvalClientConfig, "model"> & { model?: string };
  numShots: number;
  maxTokens: number;
  concurrency: number;
  limit?: number;
  data?: string;
  output?: string;
}

type RawArgs = Partial<Record<keyof typeof ARGS, string | boolean | undefined>>;

/**
 * Parses citty's args; throws {@link BenchArgError} on a bad value.
 *
 * @example
 *   parseEvalGsm8kArgs({ limit: "50" }).limit; // 50
 */
export function parseEvalGsm8kArgs(args: RawArgs): EvalGsm8kConfig {
  const str = (name: keyof typeof ARGS) => (typeof args[name] === "string" ? (args[name] as string) : undefined);
  const url = str("url") ?? ARGS.url.default;
  if (!/^https?:\/\/[^/]+/.test(url)) throw new BenchArgError(`--url must be an http(s) URL (got '${url}')`);
  const endpoint = parseChoice<EvalEndpoint>("endpoint", str("endpoint") ?? "completions", ["completions", "chat"]);
  const optional = <K extends string, V>(key: K, value: V | undefined) => (value === undefined ? {} : { [key]: value });
  const limit = str("limit");
  return {
    client: { baseUrl: url, endpoint, ...optional("apiKey", str("api-key")), ...optional("model", str("model")) },
    numShots: parseIntFlag("num-shots", str("num-shots") ?? "5", 0),
    maxTokens: parseIntFlag("max-tokens", str("max-tokens") ?? "256", 1),
    concurrency: parseIntFlag("concurrency", str("concurrency") ?? "1", 1),
    ...optional("limit", limit === undefined ? undefined : parseIntFlag("limit", limit, 1)),
    ...optional("data", str("data")),
    ...optional("output", str("output")),
  } as EvalGsm8kConfig;
}

async function loadSplits(config: EvalGsm8kConfig, hub: HubOptions): Promise<Gsm8kSplits> {
  if (config.data !== undefined) return { test: await readGsm8kJsonl(config.data), source: config.data };
  return loadGsm8kFromHub({ ...hub, withTrain: config.numShots > 0 });
}

/**
 * Loads the problems, runs them, prints the summary and writes the optional results file.
 *
 * @example
 *   await runEvalGsm8k(parseEvalGsm8kArgs({ limit: "10" }), console.log);
 */
export async function runEvalGsm8k(config: EvalGsm8kConfig, print: (line: string) => void,
  progress = new EvalProgress(), hub: HubOptions = {}): Promise<Gsm8kRunResult> {
  if (config.output !== undefined) checkOutputFolder("output", config.output);
  const model = config.client.model ?? (await listModels(config.client).catch((error: unknown) => {
    throw new Error(`GET /v1/models at ${config.client.baseUrl} failed (is the server up?): ${String(error)}`);
  }))[0];
  if (!model) throw new BenchArgError("the server lists no models; pass --model");
  const splits = await loadSplits(config, hub);
  const { shots, problems } = selectProblems(splits, config.numShots, config.limit);
  const client: EvalClientConfig = { ...config.client, model };
  const result = await runGsm8k({
    client, shots, problems, maxTokens: config.maxTokens, concurrency: config.concurrency,
    onProgress: (p) => progress.update(p.done, p.total, `strict ${p.correct["strict-match"]} ` +
      `flexible ${p.correct["flexible-extract"]}${p.errors > 0 ? ` errors ${p.errors}` : ""}`),
  });
  progress.finish();
  const info: Gsm8kRunInfo = { model, url: config.client.baseUrl, endpoint: config.client.endpoint,
    dataset: splits.source, numShots: config.numShots, maxTokens: config.maxTokens, concurrency: config.concurrency };
  const firstError = result.records.find((r) => r.error !== undefined)?.error;
  for (const line of gsm8kSummaryLines(info, result.summary, firstError, config.output)) print(line);
  if (config.output) writeFileSync(config.output, gsm8kResultsJson(info, result));
  return result;
}

const gsm8kCommand = defineCommand({
  meta: { name: "gsm8k", description: "GSM8K (lm-evaluation-harness's format) against an OpenAI-compatible server" },
  args: ARGS,
  async run({ args, rawArgs }) {
    try {
      checkFlags(rawArgs, FLAG_KINDS);
      const result = await runEvalGsm8k(parseEvalGsm8kArgs(args as RawArgs), (line) => console.log(line));
      if (result.summary.errors === result.summary.n) failWith("eval gsm8k: every request failed");
    } catch (error) {
      if (error instanceof BenchArgError) return failWith(error.message, 2);
      failWith(`eval gsm8k: ${error instanceof Error ? error.message : String(error)}`);
    }
  },
});

export const evalCommand = defineCommand({
  meta: { name: "eval", description: "Accuracy evaluations against an OpenAI-compatible server" },
  subCommands: { gsm8k: gsm8kCommand },
});
