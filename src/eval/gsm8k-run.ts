/**
 * Runs GSM8K against an OpenAI-compatible server: builds each prompt, sends it (`concurrency` at a time),
 * scores the response under both filters and sums the results.
 */
import { type Completion, complete, type EvalClientConfig } from "./client.ts";
import type { Problem } from "./gsm8k-data.ts";
import { FILTERS, type FilterName, scoreResponse, type Verdict } from "./gsm8k-extract.ts";
import { fewShotPrompt, GSM8K_STOP } from "./gsm8k-prompt.ts";

/** What one problem produced. */
export interface ProblemRecord {
  /** The problem's row in its split (or line in its file). */
  id: number;
  question: string;
  /** The dataset's worked answer. */
  answer: string;
  promptTokens: number;
  completionTokens: number;
  response: string;
  finishReason: string | null;
  /** Each filter's extracted answer and whether it matched. */
  filters: Record<FilterName, Verdict>;
  latencyS: number;
  /** Set when the request failed; the problem then counts as wrong under both filters. */
  error?: string;
}

/** One filter's accuracy with the harness's standard error of the mean. */
export interface FilterScore {
  correct: number;
  accuracy: number;
  stderr: number;
}

/** The totals of a run. */
export interface Gsm8kSummary {
  n: number;
  scores: Record<FilterName, FilterScore>;
  errors: number;
  elapsedS: number;
  promptTokens: number;
  completionTokens: number;
  /** Completion tokens per second of wall time over the whole run. */
  completionTokensPerS: number;
}

/** Called after each problem finishes. */
export interface Gsm8kProgress {
  done: number;
  total: number;
  correct: Record<FilterName, number>;
  errors: number;
}

export interface Gsm8kRunOptions {
  client: EvalClientConfig;
  shots: readonly Problem[];
  problems: readonly Problem[];
  maxTokens: number;
  concurrency: number;
  onProgress?: (progress: Gsm8kProgress) => void;
  signal?: AbortSignal;
}

export interface Gsm8kRunResult {
  records: ProblemRecord[];
  summary: Gsm8kSummary;
}

const NO_ANSWER: Completion = { text: "", finishReason: null, promptTokens: 0, completionTokens: 0 };

async function solve(opts: Gsm8kRunOptions, problem: Problem): Promise<ProblemRecord> {
  const started = performance.now();
  let completion = NO_ANSWER;
  let error: string | undefined;
  try {
    const prompt = fewShotPrompt(opts.shots, problem.question);
    completion = await complete(opts.client, prompt, opts.maxTokens, GSM8K_STOP, opts.signal);
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const filters = scoreResponse(completion.text, problem.answer);
  if (error !== undefined) for (const f of FILTERS) filters[f].correct = false;
  return {
    id: problem.id, question: problem.question, answer: problem.answer,
    promptTokens: completion.promptTokens, completionTokens: completion.completionTokens,
    response: completion.text, finishReason: completion.finishReason, filters,
    latencyS: (performance.now() - started) / 1000, ...(error === undefined ? {} : { error }),
  };
}

/**
 * The harness's accuracy and standard error (sample standard deviation over sqrt(n)).
 *
 * @example
 *   filterScore(3, 4); // { correct: 3, accuracy: 0.75, stderr: 0.25 }
 */
export function filterScore(correct: number, n: number): FilterScore {
  const accuracy = n > 0 ? correct / n : 0;
  const stderr = n > 1 ? Math.sqrt((accuracy * (1 - accuracy)) / (n - 1)) : 0;
  return { correct, accuracy, stderr };
}

/** Sums records into a summary. */
export function summarize(records: readonly ProblemRecord[], elapsedS: number): Gsm8kSummary {
  const sum = (pick: (r: ProblemRecord) => number) => records.reduce((total, r) => total + pick(r), 0);
  const score = (f: FilterName) => filterScore(sum((r) => (r.filters[f].correct ? 1 : 0)), records.length);
  const completionTokens = sum((r) => r.completionTokens);
  return {
    n: records.length,
    scores: { "strict-match": score("strict-match"), "flexible-extract": score("flexible-extract") },
    errors: sum((r) => (r.error === undefined ? 0 : 1)),
    elapsedS,
    promptTokens: sum((r) => r.promptTokens),
    completionTokens,
    completionTokensPerS: elapsedS > 0 ? completionTokens / elapsedS : 0,
  };
}

/**
 * Asks every problem, `concurrency` requests in flight, and returns the records in problem order.
 *
 * @example
 *   const { summary } = await runGsm8k({ client, shots, problems, maxTokens: 256, concurrency: 4 });
 *   summary.scores["strict-match"].accuracy;
 */
export async function runGsm8k(opts: Gsm8kRunOptions): Promise<Gsm8kRunResult> {
  const started = performance.now();
  const total = opts.problems.length;
  const records: ProblemRecord[] = new Array(total);
  const progress: Gsm8kProgress = { done: 0, total, correct: { "strict-match": 0, "flexible-extract": 0 }, errors: 0 };
  let next = 0;
  const worker = async () => {
    while (next < total && !opts.signal?.aborted) {
      const index = next++;
      const record = await solve(opts, opts.problems[index]!);
      records[index] = record;
      progress.done++;
      for (const f of FILTERS) if (record.filters[f].correct) progress.correct[f]++;
      if (record.error !== undefined) progress.errors++;
      opts.onProgress?.({ ...progress, correct: { ...progress.correct } });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, total)) }, worker));
  const done = records.filter((r) => r !== undefined);
  return { records: done, summary: summarize(done, (performance.now() - started) / 1000) };
}
