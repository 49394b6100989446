/** The table printed by `vllm-mlx bench <model>`. */
import type { RunSummary, Stats } from "./metrics.ts";
import type { ResourceReport } from "./resources.ts";
import { fmt, fmtBytes, formatTable } from "./table.ts";

/**
 * Per-request metrics as mean and p95, then run totals.
 *
 * @example
 *   console.log(engineBenchTable(summary));
 */
export function engineBenchTable(s: RunSummary, options: { markdown?: boolean } = {}): string {
  const row = (name: string, stats: Stats, digits = 2) => [name, fmt(stats.mean, digits), fmt(stats.p95, digits)];
  const e2eS: Stats = { mean: s.e2eMs.mean / 1000, median: s.e2eMs.median / 1000, p95: s.e2eMs.p95 / 1000,
    p99: s.e2eMs.p99 / 1000 };
  const rows = [
    row("TTFT (ms)", s.ttftMs, 1),
    row("TPOT (ms)", s.tpotMs, 2),
    row("Generation (tok/s)", s.decodeTokPerS, 1),
    row("Prompt processing (tok/s)", s.prefillTokPerS, 1),
    row("Latency per request (s)", e2eS, 3),
  ];
  const perRequest = formatTable(["metric", "mean", "p95"], rows, options);
  const totals = formatTable(["total", "value"], [
    ["Requests (ok / failed)", `${s.completed} / ${s.failed}`],
    ["Prompt tokens", String(s.totalInputTokens)],
    ["Generated tokens", String(s.totalOutputTokens)],
    ["Wall time (s)", fmt(s.durationS, 2)],
    ["Output throughput (tok/s)", fmt(s.outputThroughput, 2)],
    ["Total throughput (tok/s)", fmt(s.totalTokenThroughput, 2)],
    ["Requests/s", fmt(s.requestThroughput, 3)],
  ], options);
  return `${perRequest}\n\n${totals}`;
}

/** The memory table. */
export function resourceTable(r: ResourceReport, options: { markdown?: boolean } = {}): string {
  const rows = [[`Process peak RSS (${r.peakRssSource})`, fmtBytes(r.peakRssBytes)]];
  if (r.mlx) {
    rows.push(["MLX peak memory", fmtBytes(r.mlx.peakBytes)], ["MLX cache memory", fmtBytes(r.mlx.cacheBytes)],
      ["MLX active memory", fmtBytes(r.mlx.activeBytes)]);
  }
  rows.push(["System memory (total)", fmtBytes(r.systemTotalBytes)], ["System memory (free)", fmtBytes(r.systemFreeBytes)]);
  return formatTable(["resource", "value"], rows, options);
}
