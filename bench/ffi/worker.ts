/**
 * The Bun side of the FFI benchmark: runs the ops of one `BenchSpec` (JSON in argv[2]) through src/mlx and prints
 * one `WorkerResult` as JSON on stdout. Spawned by bench/ffi/run.ts; bench/python/ops.py is its Python twin.
 */
import * as mx from "../../src/mlx/index.ts";
import { N as native } from "../../src/mlx/ffi/call.ts";
import { median, type BenchSpec, type CallOp, type ComputeOp, type WorkerResult } from "./spec.ts";

type Weights = { wq: mx.Array; scales: mx.Array; biases: mx.Array | null } | { w: mx.Array };

function timeCalls(op: CallOp, spec: BenchSpec, s: mx.Stream): number[] {
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
  const out: number[] = [];
  for (let r = 0; r < spec.callSamples; r++) {
    const t0 = Bun.nanoseconds();
    for (let i = 0; i < loops; i++) body();
    out.push((Bun.nanoseconds() - t0) / loops);
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

function timeCompute(op: ComputeOp, spec: BenchSpec, weights: Weights, key: mx.Array, s: mx.Stream): number[] {
  using x = mx.normal([op.m, op.k], op.dtype, key, 0, 1, s);
  x.eval();
  const run = "w" in weights
    ? () => mx.matmul(x, weights.w, s)
    : () => mx.quantizedMatmul(x, weights.wq, weights.scales, weights.biases,
      { transpose: true, groupSize: 64, bits: 4 }, s);
  for (let i = 0; i < spec.warmup; i++) run().eval().dispose();
  const out: number[] = [];
  const start = performance.now();
  while (out.length < spec.maxSamples) {
    if (out.length >= spec.minSamples && performance.now() - start > spec.budgetMs) break;
    const t0 = Bun.nanoseconds();
    const y = run();
    y.eval();
    out.push(Bun.nanoseconds() - t0);
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
    medianNs: {}, samples: {} };
  for (const op of spec.ops) {
    let times: number[];
    if (op.kind === "call") {
      times = timeCalls(op, spec, s);
    } else {
      const id = `${op.what}:${op.dtype}:${op.n}:${op.k}`;
      let w = cache.get(id);
      if (!w) cache.set(id, (w = makeWeights(op, key, s)));
      times = timeCompute(op, spec, w, key, s);
    }
    result.medianNs[op.name] = median(times);
    result.samples[op.name] = times.length;
  }
  for (const w of cache.values()) {
    if ("w" in w) w.w.dispose();
    else [w.wq, w.scales, w.biases].forEach((a) => a?.dispose());
  }
  key.dispose();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main();
