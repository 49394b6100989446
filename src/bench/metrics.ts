/**
 * Benchmark arithmetic: per-request timings from recorded timestamps, percentiles and run summaries.
 *
 * Definitions (the same as vLLM's `bench serve`):
 * - TTFT: first content chunk time minus send time.
 * - TPOT: (e2e latency - TTFT) / (output tokens - 1); undefined for one-token outputs.
 * - ITL: gaps between consecutive content chunks (a chunk carrying k tokens counts as one gap).
 * - Goodput: requests per second that met every SLO given.
 */

/** Timestamps (ms, any monotonic clock) and usage of one finished request. */
export interface RequestRecord {
  startMs: number;
  /** Arrival time of every chunk that carried generated text, in order. */
  chunkTimesMs: number[];
  endMs: number;
  promptTokens: number;
  /** Generated tokens as reported by the server's `usage` (or the engine), not counted from frames. */
  outputTokens: number;
  ok: boolean;
  error?: string;
}

/** Timings of one successful request, in ms. */
export interface RequestTimings {
  ttftMs: number;
  /** Absent when the request produced fewer than 2 tokens. */
  tpotMs?: number;
  itlMs: number[];
  e2eMs: number;
}

/** mean / median / p95 / p99 of a sample; all NaN when the sample is empty. */
export interface Stats {
  mean: number;
  median: number;
  p95: number;
  p99: number;
}

/**
 * The p-th percentile by linear interpolation between closest ranks (NumPy's default "linear" method):
 * rank = p/100 * (n - 1); the result interpolates the sorted values at floor(rank) and ceil(rank).
 *
 * @example
 *   percentile([1, 2, 3, 4], 50); // 2.5
 *   percentile([10, 20], 99);     // 19.9
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in [0, 100] (got ${p})`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (rank - lo);
}

/** Arithmetic mean; NaN for an empty sample. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/**
 * Summarizes a sample.
 *
 * @example
 *   summarize([1, 2, 3]); // { mean: 2, median: 2, p95: 2.9, p99: 2.98 }
 */
export function summarize(values: readonly number[]): Stats {
  return { mean: mean(values), median: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99) };
}

/**
 * Timings of one successful request; null for a failed one or one that produced no content chunk.
 *
 * @example
 *   requestTimings({ startMs: 0, chunkTimesMs: [100, 120, 150], endMs: 150, promptTokens: 8, outputTokens: 3,
 *                    ok: true }); // { ttftMs: 100, tpotMs: 25, itlMs: [20, 30], e2eMs: 150 }
 */
export function requestTimings(record: RequestRecord): RequestTimings | null {
  const first = record.chunkTimesMs[0];
  if (!record.ok || first === undefined) return null;
  const ttftMs = first - record.startMs;
  const e2eMs = record.endMs - record.startMs;
  const itlMs: number[] = [];
  for (let i = 1; i < record.chunkTimesMs.length; i++) {
    itlMs.push((record.chunkTimesMs[i] as number) - (record.chunkTimesMs[i - 1] as number));
  }
  const timings: RequestTimings = { ttftMs, itlMs, e2eMs };
  if (record.outputTokens > 1) timings.tpotMs = (e2eMs - ttftMs) / (record.outputTokens - 1);
  return timings;
}

/** Service-level objectives for goodput, in ms; a request is "good" when it meets every one given. */
export interface Slo {
  ttftMs?: number;
  tpotMs?: number;
  e2eMs?: number;
}

/** Whether a request's timings meet every objective. A TPOT objective counts a one-token request as met. */
export function meetsSlo(timings: RequestTimings, slo: Slo): boolean {
  if (slo.ttftMs !== undefined && timings.ttftMs > slo.ttftMs) return false;
  if (slo.tpotMs !== undefined && timings.tpotMs !== undefined && timings.tpotMs > slo.tpotMs) return false;
  if (slo.e2eMs !== undefined && timings.e2eMs > slo.e2eMs) return false;
  return true;
}

/** The aggregate of one benchmark run (one concurrency level or request rate). */
export interface RunSummary {
  completed: number;
  failed: number;
  /** Completed requests that streamed no visible text: counted in the totals, absent from the timing stats. */
  withoutText: number;
  durationS: number;
  totalInputTokens: number;
  totalOutputTokens: number;
  requestThroughput: number;
  outputThroughput: number;
  /** Input plus output tokens per second. */
  totalTokenThroughput: number;
  /** Good requests per second; absent without SLOs. */
  goodput?: number;
  ttftMs: Stats;
  tpotMs: Stats;
  itlMs: Stats;
  e2eMs: Stats;
  /** Per request: (output tokens - 1) / (e2e - TTFT) = 1000 / TPOT, the decode speed one client sees. */
  decodeTokPerS: Stats;
  /** Per request: prompt tokens / TTFT. */
  prefillTokPerS: Stats;
}

/**
 * Aggregates records over a run that lasted `durationS` seconds of wall time.
 *
 * @example
 *   const summary = summarizeRun(records, 12.5, { ttftMs: 500 });
 *   console.log(summary.outputThroughput, summary.goodput);
 */
export function summarizeRun(records: readonly RequestRecord[], durationS: number, slo?: Slo): RunSummary {
  // A request that succeeded but streamed no visible text (e.g. only special tokens) counts as completed, with
  // its usage tokens, but has no timings.
  const ok = records.filter((r) => r.ok);
  const done = ok.flatMap((r) => {
    const t = requestTimings(r);
    return t ? [{ r, t }] : [];
  });
  const inputTokens = ok.reduce((s, r) => s + r.promptTokens, 0);
  const outputTokens = ok.reduce((s, r) => s + r.outputTokens, 0);
  const perSecond = (n: number) => (durationS > 0 ? n / durationS : Number.NaN);
  const summary: RunSummary = {
    completed: ok.length,
    failed: records.length - ok.length,
    withoutText: ok.length - done.length,
    durationS,
    totalInputTokens: inputTokens,
    totalOutputTokens: outputTokens,
    requestThroughput: perSecond(ok.length),
    outputThroughput: perSecond(outputTokens),
    totalTokenThroughput: perSecond(inputTokens + outputTokens),
    ttftMs: summarize(done.map((d) => d.t.ttftMs)),
    tpotMs: summarize(done.flatMap((d) => (d.t.tpotMs === undefined ? [] : [d.t.tpotMs]))),
    itlMs: summarize(done.flatMap((d) => d.t.itlMs)),
    e2eMs: summarize(done.map((d) => d.t.e2eMs)),
    decodeTokPerS: summarize(done.flatMap((d) => {
      const decodeMs = d.t.e2eMs - d.t.ttftMs;
      return d.r.outputTokens > 1 && decodeMs > 0 ? [((d.r.outputTokens - 1) * 1000) / decodeMs] : [];
    })),
    prefillTokPerS: summarize(done.flatMap((d) => (d.t.ttftMs > 0 ? [(d.r.promptTokens * 1000) / d.t.ttftMs] : []))),
  };
  if (slo && Object.keys(slo).length > 0) summary.goodput = perSecond(done.filter((d) => meetsSlo(d.t, slo)).length);
  return summary;
}
