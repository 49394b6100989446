/** Tables, JSON and charts for `bench serve` results. */
import type { Stats } from "./metrics.ts";
import type { ServeBenchRow } from "./serve-bench.ts";
import { type ChartSeries, renderChart } from "./svg.ts";
import { fmt, formatTable } from "./table.ts";

function triple(s: Stats): string {
  return `${fmt(s.mean, 1)} / ${fmt(s.median, 1)} / ${fmt(s.p99, 1)}`;
}

/**
 * One row per run: throughput and latency (mean / median / p99, in ms).
 *
 * @example
 *   console.log(serveBenchTable(result.rows));
 */
export function serveBenchTable(rows: ServeBenchRow[], options: { markdown?: boolean } = {}): string {
  const withGoodput = rows.some((r) => r.summary.goodput !== undefined);
  const headers = ["load", "ok", "failed", "req/s", "out tok/s", ...(withGoodput ? ["goodput req/s"] : []),
    "TTFT ms mean/p50/p99", "TPOT ms mean/p50/p99", "ITL ms mean/p50/p99", "E2E ms mean/p50/p99"];
  const body = rows.map(({ label, summary: s }) => [label, String(s.completed), String(s.failed),
    fmt(s.requestThroughput, 3), fmt(s.outputThroughput, 2), ...(withGoodput ? [fmt(s.goodput, 3)] : []),
    triple(s.ttftMs), triple(s.tpotMs), triple(s.itlMs), triple(s.e2eMs)]);
  return formatTable(headers, body, options);
}

/** Several servers' rows over the same loads, for a comparison chart. */
export interface NamedRows {
  name: string;
  rows: ServeBenchRow[];
}

/**
 * A two-panel chart: output throughput, and p50 (solid) / p99 (dashed) end-to-end latency, against the
 * loads of the first series. Pass several servers to compare them (one color each).
 *
 * @example
 *   writeFileSync("chart.svg", serveBenchChart([{ name: "vllm-mlx", rows }], "Qwen3-0.6B-4bit, random 128/32"));
 */
export function serveBenchChart(servers: NamedRows[], title: string, subtitle?: string): string {
  const labels = servers[0]?.rows.map((r) => r.label) ?? [];
  const allConcurrency = servers.every((s) => s.rows.every((r) => r.load.kind === "concurrency"));
  const valueAt = (rows: ServeBenchRow[], pick: (row: ServeBenchRow) => number) =>
    labels.map((label) => {
      const row = rows.find((r) => r.label === label);
      return row ? pick(row) : Number.NaN;
    });
  const prefix = (s: NamedRows) => (servers.length > 1 ? `${s.name} ` : "");
  const throughput: ChartSeries[] = servers.map((s, k) => ({
    name: servers.length > 1 ? s.name : "output tok/s", color: k,
    values: valueAt(s.rows, (r) => r.summary.outputThroughput),
  }));
  const latency: ChartSeries[] = servers.flatMap((s, k) => [
    { name: `${prefix(s)}p50`, color: k, values: valueAt(s.rows, (r) => r.summary.e2eMs.median) },
    { name: `${prefix(s)}p99`, color: k, dashed: true, values: valueAt(s.rows, (r) => r.summary.e2eMs.p99) },
  ]);
  return renderChart({
    title,
    ...(subtitle ? { subtitle } : {}),
    xLabel: allConcurrency ? "concurrent requests" : "load",
    xTicks: labels.map((l) => l.replace(/^c=/, "")),
    panels: [
      { title: "Output throughput", yLabel: "output tokens / s", series: throughput },
      { title: "End-to-end latency", yLabel: "latency per request (ms)", series: latency },
    ],
  });
}
