/**
 * The Bun side of the FFI benchmark: runs the ops of one `BenchSpec` (JSON in argv[2]) through src/mlx and prints
 * one `WorkerResult` as JSON on stdout. Spawned by bench/ffi/run.ts; bench/python/ops.py is its Python twin.
 */
import * as mx from "../../src/mlx/index.ts";
import { N as native } from "../../src/mlx/ffi/call.ts";
import { median, type BenchSpec, type CallOp, type ComputeOp, type WorkerResult } from "./spec.ts";

type Weights = { wq: mx.Array; scales: mx.Array; biases: mx.Array | null } | { w: mx.Array };

/** Wall and process CPU (all threads, user + system) nanoseconds of each sample. */
interface Samples {
  wall: number[];
  cpu: number[];
}

function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

function timeCalls(op: CallOp, spec: BenchSpec, s: mx.Stream): Samples {
  const a = mx.array([1, 2, 3], { dtype: "float32" });
  const b = mx.array([4, 5, 6], { dtype: "float32" });
  mx.evaluate(a, b);
  const body = op.what === "add"
    ? () => mx.add(a, b, s).dispose()
    : op.what === "activeMemory"
      ? () => void mx.getActiveMemory()
      : () => void native.vmlx_live_arrays();
  const loops = spec.callLoops;
  for (let i = 0; i < loops; i++) body();
  const out: Samples = { wall: [], cpu: [] };
  for (let r = 0; r < spec.callSamples; r++) {
    const c0 = cpuNs();
    const t0 = Bun.nanoseconds();
    for (let i = 0; i < loops; i++) body();
    out.wall.push((Bun.nanoseconds() - t0) / loops);
    out.cpu.push((cpuNs() - c0) / loops);
  }
  a.dispose();
  b.dispose();
  return out;
}

function makeWeights(op: ComputeOp, key: mx.Array, s: mx.Stream): Weights {
  if (op.what === "mm") {
    const w = mx.normal([op.k, op.n], op.dtype, key, 0, 0.02, s);
    w.eval();
    return { w };
  }
  using w = mx.normal([op.n, op.k], op.dtype, key, 0, 0.02, s);
  const q = mx.quantize(w, { groupSize: 64, bits: 4 }, s);
  mx.evaluate(q.wq, q.scales, ...(q.biases ? [q.biases] : []));
  return { wq: q.wq, scales: q.scales, biases: q.biases };
}

function timeCompute(op: ComputeOp, spec: BenchSpec, weights: Weights, key: mx.Array, s: mx.Stream): Samples {
  using x = mx.normal([op.m, op.k], op.dtype, key, 0, 1, s);
  x.eval();
  const run = "w" in weights
    ? () => mx.matmul(x, weights.w, s)
    : () => mx.quantizedMatmul(x, weights.wq, weights.scales, weights.biases,
      { transpose: true, groupSize: 64, bits: 4 }, s);
  for (let i = 0; i < spec.warmup; i++) run().eval().dispose();
  const out: Samples = { wall: [], cpu: [] };
  const start = performance.now();
  while (out.wall.length < spec.maxSamples) {
    if (out.wall.length >= spec.minSamples && performance.now() - start > spec.budgetMs) break;
    const c0 = cpuNs();
    const t0 = Bun.nanoseconds();
    const y = run();
    y.eval();
    out.wall.push(Bun.nanoseconds() - t0);
    out.cpu.push(cpuNs() - c0);
    y.dispose();
  }
  return out;
}

function main(): void {
  const spec = JSON.parse(process.argv[2] ?? "") as BenchSpec;
  const s = spec.device === "gpu" ? mx.gpuStream() : mx.cpuStream();
  const key = mx.randomKey(spec.seed);
  const cache = new Map<string, Weights>();
  const result: WorkerResult = { side: "ours", mlxVersion: mx.info().mlxVersion, device: spec.device,
    medianNs: {}, medianCpuNs: {}, samples: {} };
  for (const op of spec.ops) {
    let times: Samples;
    if (op.kind === "call") {
      times = timeCalls(op, spec, s);
    } else {
      const id = `${op.what}:${op.dtype}:${op.n}:${op.k}`;
      let w = cache.get(id);
      if (!w) cache.set(id, (w = makeWeights(op, key, s)));
      times = timeCompute(op, spec, w, key, s);
    }
    result.medianNs[op.name] = median(times.wall);
    result.medianCpuNs[op.name] = median(times.cpu);
    result.samples[op.name] = times.wall.length;
  }
  for (const w of cache.values()) {
    if ("w" in w) w.w.dispose();
    else [w.wq, w.scales, w.biases].forEach((a) => a?.dispose());
  }
  key.dispose();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main();
