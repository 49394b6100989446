/**
 * FFI and kernel benchmark, side by side with MLX's Python package in one run.
 *
 *   bun bench/ffi/run.ts            (or `bun run bench:ffi`)
 *
 * Spawns bench/ffi/worker.ts (ours, through bun:ffi) and bench/python/ops.py (MLX's Python package) with the
 * same spec and the same environment, alternating which side goes first each round (ours, python / python, ours
 * / ...), takes the median of each side's per-run medians, prints a table with the throughput ratio ours/Python
 * (Python's time over ours: above 1 means we are faster) and writes bench/ffi/results.json.
 *
 * Environment:
 *   PYTHON_MLX    Python interpreter with mlx installed (default: /work/main/.cache/oracle-venv/bin/python)
 *   BENCH_DEVICE  cpu | gpu (default: gpu when the loaded libvmlx has one, else cpu); both sides use it
 *   BENCH_DTYPE   float32 | bfloat16 | float16: one dtype for every compute op (default: see spec.ts)
 *   BENCH_ROUNDS  runs per side, at least 3 (default 3)
 *   BENCH_FILTER  a regular expression: only ops whose name matches run (e.g. "qmm4.*f32")
 *   BENCH_OUT     results path (default bench/ffi/results.json)
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import * as mx from "../../src/mlx/index.ts";
import { describeMachine, gitCommit, pythonVersion } from "./machine.ts";
import { defaultOps, isBenchDtype, isDevice, median, type BenchSpec, type Device, type WorkerResult } from "./spec.ts";

const ROOT = resolve(import.meta.dir, "..", "..");
const PYTHON = process.env.PYTHON_MLX ?? "/work/main/.cache/oracle-venv/bin/python";
const TARGET_RATIO = 0.95;

function option<T extends string>(name: string, valid: (v: string) => v is T, fallback: T): T {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  if (!valid(v)) throw new Error(`${name}=${v} is not valid`);
  return v;
}

function buildSpec(): BenchSpec {
  const device: Device = option("BENCH_DEVICE", isDevice, mx.gpuAvailable() ? "gpu" : "cpu");
  const filter = new RegExp(process.env.BENCH_FILTER ?? "");
  const dtype = process.env.BENCH_DTYPE ? option("BENCH_DTYPE", isBenchDtype, "float32") : undefined;
  return {
    device, seed: 0, callLoops: 100_000, callSamples: 5,
    warmup: 2, minSamples: 3, maxSamples: 20, budgetMs: 1500,
    ops: defaultOps(device, dtype).filter((op) => filter.test(op.name)),
  };
}

function runWorker(side: "ours" | "python", spec: BenchSpec, env: Record<string, string | undefined>): WorkerResult {
  const text = JSON.stringify(spec);
  const [cmd, args] = side === "ours"
    ? [process.execPath, [join(ROOT, "bench", "ffi", "worker.ts"), text]]
    : [PYTHON, [join(ROOT, "bench", "python", "ops.py"), text]];
  const r = spawnSync(cmd, args, { cwd: ROOT, env, encoding: "utf8", maxBuffer: 1 << 20 });
  if (r.status !== 0) {
    throw new Error(`${side} worker failed (${r.status ?? r.signal}): ${r.stderr || r.error?.message || ""}`);
  }
  const line = r.stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(line) as WorkerResult;
}

interface OpRow {
  name: string;
  kind: "call" | "compute";
  oursNs: number;
  pythonNs: number | null;
  /** Throughput ours / Python = Python's wall time / ours. */
  ratio: number | null;
  oursCpuNs: number;
  pythonCpuNs: number | null;
  /** The same ratio from process CPU time, less sensitive to other processes on a shared machine. */
  cpuRatio: number | null;
  oursRuns: number[];
  pythonRuns: number[];
}

function fmtRatio(r: number | null): string {
  return r === null ? "n/a" : `${r.toFixed(3)}${r < TARGET_RATIO ? " (<0.95)" : ""}`;
}

function fmtTime(ns: number | null, kind: "call" | "compute"): string {
  if (ns === null || Number.isNaN(ns)) return "n/a";
  return kind === "call" ? `${ns.toFixed(0)} ns` : `${(ns / 1e6).toFixed(2)} ms`;
}

function printTable(rows: OpRow[]): void {
  const head = ["op", "ours", "python", "ours/python", "cpu: ours", "python", "ours/python"];
  const body = rows.map((r) => [r.name, fmtTime(r.oursNs, r.kind), fmtTime(r.pythonNs, r.kind), fmtRatio(r.ratio),
    fmtTime(r.oursCpuNs, r.kind), fmtTime(r.pythonCpuNs, r.kind), fmtRatio(r.cpuRatio)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
    .join("  ");
  console.log(line(head));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const b of body) console.log(line(b));
}

function main(): void {
  const spec = buildSpec();
  const rounds = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 3) || 3);
  const machine = describeMachine();
  const loadStart = os.loadavg();
  const env = { ...process.env };
  const ours: WorkerResult[] = [];
  const python: WorkerResult[] = [];
  const order: string[] = [];
  console.log(`machine: ${machine.cpuModel}, ${machine.logicalCores} logical cores` +
    `${machine.physicalCores ? ` (${machine.physicalCores} physical)` : ""}${machine.gpu ? `, GPU ${machine.gpu}` : ""}`);
  console.log(`device: ${spec.device}; python: ${PYTHON}; rounds: ${rounds}; load average ${loadStart[0]!.toFixed(2)}`);
  for (let r = 0; r < rounds; r++) {
    const sides: ("ours" | "python")[] = r % 2 === 0 ? ["ours", "python"] : ["python", "ours"];
    for (const side of sides) {
      const t0 = performance.now();
      const res = runWorker(side, spec, env);
      (side === "ours" ? ours : python).push(res);
      order.push(side);
      console.log(`  round ${r + 1}: ${side} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  }
  const loadEnd = os.loadavg();
  const rows: OpRow[] = spec.ops.map((op) => {
    const runs = (ws: WorkerResult[], key: "medianNs" | "medianCpuNs") =>
      ws.map((w) => w[key][op.name]).filter((x): x is number => x !== undefined);
    const oursRuns = runs(ours, "medianNs");
    const pythonRuns = runs(python, "medianNs");
    const oursNs = median(oursRuns);
    const pythonNs = pythonRuns.length ? median(pythonRuns) : null;
    const oursCpuNs = median(runs(ours, "medianCpuNs"));
    const pyCpu = runs(python, "medianCpuNs");
    const pythonCpuNs = pyCpu.length ? median(pyCpu) : null;
    return { name: op.name, kind: op.kind, oursNs, pythonNs, ratio: pythonNs === null ? null : pythonNs / oursNs,
      oursCpuNs, pythonCpuNs, cpuRatio: pythonCpuNs === null ? null : pythonCpuNs / oursCpuNs, oursRuns, pythonRuns };
  });
  console.log();
  printTable(rows);
  console.log(`load average (1 min) at start ${loadStart[0]!.toFixed(2)}, at end ${loadEnd[0]!.toFixed(2)}` +
    ` on ${machine.logicalCores} cores: other processes share this machine when it exceeds ~0.5`);
  const out = process.env.BENCH_OUT ?? join(ROOT, "bench", "ffi", "results.json");
  const results = {
    date: new Date().toISOString(), commit: gitCommit(ROOT), machine,
    loadAverage: { start: loadStart, end: loadEnd },
    runtime: { bun: Bun.version, python: pythonVersion(PYTHON), pythonPath: PYTHON,
      mlxOurs: ours[0]?.mlxVersion, mlxPython: python[0]?.mlxVersion, pythonDevice: python[0]?.device,
      backend: mx.info().backend },
    spec: { ...spec, ops: spec.ops.map((o) => o.name) }, order, targetRatio: TARGET_RATIO, ops: rows,
  };
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote ${out}`);
}

main();
