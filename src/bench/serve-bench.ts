/**
 * `bench serve`: drives any OpenAI-compatible server with a dataset, one run per concurrency level (or one
 * Poisson-rate run), and summarizes each run.
 */
import { type ClientConfig, probePromptTokens, sendStreamingRequest } from "./client.ts";
import {
  type BenchPrompt,
  calibrateWordsPerToken,
  prefixRepetitionDataset,
  randomDataset,
  randomWords,
  seededRandom,
  type TokenCalibration,
} from "./datasets.ts";
import { type LoadShape, runLoad } from "./load.ts";
import { type RequestRecord, type RunSummary, type Slo, summarizeRun } from "./metrics.ts";

export type DatasetSpec =
  | { kind: "random"; inputLen: number; outputLen: number }
  | { kind: "prefix-repetition"; numPrefixes: number; prefixLen: number; suffixLen: number; outputLen: number };

export interface ServeBenchOptions {
  client: ClientConfig;
  dataset: DatasetSpec;
  numPrompts: number;
  /** At a concurrency level c, each run sends at least this many times c requests (so high levels fill up). */
  promptsPerConcurrency?: number;
  /** One run per entry: a concurrency level, or a Poisson request rate. */
  loads: LoadShape[];
  seed: number;
  slo?: Slo;
  /**
   * Warm-up requests sent (and discarded) before each run. At a concurrency level c, c times as many are sent,
   * c at a time, so the server has met that batch size before the measured run.
   */
  warmupRequests: number;
  onProgress?: (event: { label: string; finished: number; total: number }) => void;
}

/** One run's label, load shape and summary. */
export interface ServeBenchRow {
  label: string;
  load: LoadShape;
  summary: RunSummary;
  /** First failure messages, for the report. */
  errors: string[];
}

export interface ServeBenchResult {
  calibration: TokenCalibration;
  rows: ServeBenchRow[];
}

/** A short label for a load shape: `c=4`, `rate=2/s`. */
export function loadLabel(load: LoadShape): string {
  return load.kind === "concurrency" ? `c=${load.concurrency}` : `rate=${load.requestRate}/s`;
}

/**
 * Calibrates prompt length against the server: two probes of different word counts, a linear fit.
 *
 * @example
 *   const cal = await calibrate(client, 1); // { overheadTokens: 9, tokensPerWord: 1.02 }
 */
export async function calibrate(client: ClientConfig, seed: number): Promise<TokenCalibration> {
  const random = seededRandom(seed ^ 0x5eed);
  const small = 16;
  const large = 144;
  const smallTokens = await probePromptTokens(client, randomWords(small, random));
  const largeTokens = await probePromptTokens(client, randomWords(large, random));
  return calibrateWordsPerToken({ words: small, tokens: smallTokens }, { words: large, tokens: largeTokens });
}

/** Builds the prompts of a dataset spec. */
export function buildDataset(spec: DatasetSpec, numPrompts: number, seed: number, calibration: TokenCalibration): BenchPrompt[] {
  if (spec.kind === "random") {
    return randomDataset({ numPrompts, inputLen: spec.inputLen, outputLen: spec.outputLen, seed, calibration });
  }
  return prefixRepetitionDataset({ ...spec, numPrompts, seed, calibration });
}

/**
 * Runs the whole benchmark.
 *
 * @example
 *   const result = await runServeBenchmark({ client, dataset: { kind: "random", inputLen: 128, outputLen: 32 },
 *     numPrompts: 16, loads: [{ kind: "concurrency", concurrency: 1 }], seed: 0, warmupRequests: 1 });
 */
export async function runServeBenchmark(options: ServeBenchOptions): Promise<ServeBenchResult> {
  const calibration = await calibrate(options.client, options.seed);
  const rows: ServeBenchRow[] = [];
  for (const [runIndex, load] of options.loads.entries()) {
    const slots = load.kind === "concurrency" ? Math.max(1, load.concurrency) : 1;
    const numPrompts = Math.max(options.numPrompts, (options.promptsPerConcurrency ?? 0) * slots);
    const prompts = buildDataset(options.dataset, numPrompts, options.seed + runIndex, calibration);
    const warmup = buildDataset(options.dataset, options.warmupRequests * slots, options.seed + 1000 + runIndex, calibration);
    await runLoad(warmup, { kind: "concurrency", concurrency: slots },
      (p) => sendStreamingRequest(options.client, p.prompt, p.outputLen), { seed: options.seed });
    const label = loadLabel(load);
    const started = performance.now();
    const records: RequestRecord[] = await runLoad(prompts, load,
      (p) => sendStreamingRequest(options.client, p.prompt, p.outputLen), {
        seed: options.seed,
        onDone: (finished) => options.onProgress?.({ label, finished, total: prompts.length }),
      });
    const durationS = (performance.now() - started) / 1000;
    const errors = [...new Set(records.flatMap((r) => (r.ok ? [] : [r.error ?? "unknown error"])))].slice(0, 3);
    rows.push({ label, load, summary: summarizeRun(records, durationS, options.slo), errors });
  }
  return { calibration, rows };
}
