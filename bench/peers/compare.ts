/**
 * Reads `bench/peers/run.sh` output (`<server>.run<k>.json`), takes the median of each metric over runs per
 * server and load, and prints one markdown table; writes `chart.svg` beside the inputs.
 *
 *   bun bench/peers/compare.ts OUT_DIR MODEL_DIR > OUT_DIR/table.md
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { basename, join } from "node:path";
import { percentile, type RunSummary } from "../../src/bench/metrics.ts";
import type { ServeBenchRow } from "../../src/bench/serve-bench.ts";
import { serveBenchChart } from "../../src/bench/serve-report.ts";
import { fmt, formatTable } from "../../src/bench/table.ts";

const [outDir = ".", modelDir = ""] = process.argv.slice(2);
const runs = new Map<string, ServeBenchRow[][]>();
const failures = new Map<string, string[]>();
for (const file of readdirSync(outDir).sort()) {
  const match = /^(.+)\.run(\d+)\.(json|txt)$/.exec(file);
  if (!match) continue;
  const [, server = "", , ext] = match;
  if (ext === "json") {
    const rows = (JSON.parse(readFileSync(join(outDir, file), "utf8")) as { rows: ServeBenchRow[] }).rows;
    runs.set(server, [...(runs.get(server) ?? []), rows]);
  } else if (!runs.has(server) && !readdirSync(outDir).includes(file.replace(/txt$/, "json"))) {
    failures.set(server, readFileSync(join(outDir, file), "utf8").trim().split("\n").slice(-3));
  }
}

const median = (xs: number[]) => percentile(xs.filter(Number.isFinite), 50);
const pick = (rows: ServeBenchRow[][], label: string, f: (s: RunSummary) => number) =>
  median(rows.flatMap((r) => r.filter((row) => row.label === label).map((row) => f(row.summary))));

const table: string[][] = [];
const medianRows: { name: string; rows: ServeBenchRow[] }[] = [];
for (const [server, serverRuns] of runs) {
  const labels = serverRuns[0]?.map((r) => r.label) ?? [];
  const merged: ServeBenchRow[] = [];
  for (const label of labels) {
    const at = (f: (s: RunSummary) => number) => pick(serverRuns, label, f);
    const failed = serverRuns.reduce((n, r) => n + (r.find((row) => row.label === label)?.summary.failed ?? 0), 0);
    table.push([server, label, String(serverRuns.length), String(failed), fmt(at((s) => s.outputThroughput), 2),
      fmt(at((s) => s.requestThroughput), 3), fmt(at((s) => s.ttftMs.median), 0), fmt(at((s) => s.tpotMs.median), 1),
      fmt(at((s) => s.e2eMs.median), 0), fmt(at((s) => s.e2eMs.p99), 0)]);
    const base = serverRuns[0]?.find((r) => r.label === label) as ServeBenchRow;
    merged.push({ ...base, summary: { ...base.summary, outputThroughput: at((s) => s.outputThroughput),
      e2eMs: { ...base.summary.e2eMs, median: at((s) => s.e2eMs.median), p99: at((s) => s.e2eMs.p99) } } });
  }
  medianRows.push({ name: server, rows: merged });
}

// MACHINE names the machine the runs were made on when the table is made elsewhere (e.g. from a device's files).
const machine = process.env.MACHINE ?? `${cpus()[0]?.model ?? "unknown CPU"} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
  `${process.platform} ${process.arch}`;
console.log(`Model: \`${basename(modelDir)}\` · machine: ${machine} · ${new Date().toISOString().slice(0, 10)}\n`);
console.log(formatTable(["server", "load", "runs", "failed reqs", "out tok/s", "req/s", "TTFT p50 ms", "TPOT p50 ms",
  "E2E p50 ms", "E2E p99 ms"], table, { markdown: true }));
for (const [server, lines] of failures) console.log(`\n- ${server}: no results. ${lines.join(" / ")}`);
writeFileSync(join(outDir, "chart.svg"), serveBenchChart(medianRows, `Peers on ${basename(modelDir)}`,
  `medians over runs · ${machine}`));
