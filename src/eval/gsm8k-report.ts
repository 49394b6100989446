/** The printed summary and the results file of a GSM8K run. */
import type { EvalEndpoint } from "./client.ts";
import { FILTERS } from "./gsm8k-extract.ts";
import type { Gsm8kRunResult, Gsm8kSummary } from "./gsm8k-run.ts";

/** What was run, recorded beside the numbers. */
export interface Gsm8kRunInfo {
  model: string;
  url: string;
  endpoint: EvalEndpoint;
  dataset: string;
  numShots: number;
  maxTokens: number;
  concurrency: number;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/**
 * The lines printed at the end of a run; with failed requests, the first one's error (the results file, when
 * written, holds every one's).
 *
 * @example
 *   gsm8kSummaryLines(info, summary).forEach((l) => console.log(l));
 *   // strict-match      3/50 =  6.0% ± 3.4%
 */
export function gsm8kSummaryLines(info: Gsm8kRunInfo, s: Gsm8kSummary, firstError?: string, output?: string): string[] {
  const width = String(s.n).length;
  const lines = [
    `GSM8K ${info.dataset}: ${s.n} problems, ${info.numShots}-shot, ${info.model} @ ${info.url} (${info.endpoint})`,
    ...FILTERS.map((f) => {
      const { correct, accuracy, stderr } = s.scores[f];
      return `${f.padEnd(17)} ${String(correct).padStart(width)}/${s.n} = ${pct(accuracy).padStart(6)} ± ${pct(stderr).padStart(5)}`;
    }),
    `${s.elapsedS.toFixed(s.elapsedS < 10 ? 2 : 1)} s, ${s.promptTokens} prompt and ${s.completionTokens} completion tokens, ` +
      `${s.completionTokensPerS.toFixed(1)} completion tokens/s`,
  ];
  if (s.errors > 0) {
    lines.push(`${s.errors} request(s) failed (counted as wrong)${firstError === undefined ? "" : `, the first: ${firstError}`}` +
      (output === undefined ? "" : `; see "error" in ${output}`));
  }
  return lines;
}

/**
 * The results file: the summary first, then one record per problem in problem order.
 *
 * @example
 *   writeFileSync("results.json", gsm8kResultsJson(info, result));
 */
export function gsm8kResultsJson(info: Gsm8kRunInfo, result: Gsm8kRunResult, date = new Date()): string {
  const s = result.summary;
  const summary = {
    task: "gsm8k", ...info, n: s.n,
    accuracy: { "strict-match": s.scores["strict-match"].accuracy, "flexible-extract": s.scores["flexible-extract"].accuracy },
    correct: { "strict-match": s.scores["strict-match"].correct, "flexible-extract": s.scores["flexible-extract"].correct },
    stderr: { "strict-match": s.scores["strict-match"].stderr, "flexible-extract": s.scores["flexible-extract"].stderr },
    errors: s.errors, elapsedS: s.elapsedS, promptTokens: s.promptTokens, completionTokens: s.completionTokens,
    completionTokensPerS: s.completionTokensPerS, date: date.toISOString(),
  };
  return `${JSON.stringify({ summary, problems: result.records }, null, 2)}\n`;
}
