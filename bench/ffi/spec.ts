/**
 * What both benchmark workers measure. The runner serializes one `BenchSpec` to JSON and hands the same text to
 * the Bun worker (bench/ffi/worker.ts) and the Python worker (bench/python/ops.py), so both sides time the same
 * ops at the same shapes, dtypes, device and sample counts.
 */

export type Device = "cpu" | "gpu";
export type BenchDtype = "float32" | "bfloat16" | "float16";

/** A per-call op: `loops` calls per sample, reported as nanoseconds per call. */
export interface CallOp {
  kind: "call";
  name: string;
  /** "add": `add(a, b)` on tiny arrays, result freed, no eval. "activeMemory": `get_active_memory()`.
   *  "rawSymbol": one bun:ffi call of `vmlx_live_arrays` (ours only: Python has no equivalent). */
  what: "add" | "activeMemory" | "rawSymbol";
}

/** A compute op: one call plus eval per sample, reported as nanoseconds per op. */
export interface ComputeOp {
  kind: "compute";
  name: string;
  /** "qmm": x [m, k] @ dequantize(W [n, k]).T with 4-bit affine groups of 64; "mm": x [m, k] @ W [k, n]. */
  what: "qmm" | "mm";
  m: number;
  k: number;
  n: number;
  dtype: BenchDtype;
}

export type BenchOp = CallOp | ComputeOp;

export interface BenchSpec {
  device: Device;
  seed: number;
  /** Calls per sample and samples per run for call ops. */
  callLoops: number;
  callSamples: number;
  /** Compute ops: warm-up calls, then samples until `minSamples` are taken and `budgetMs` is spent, up to `maxSamples`. */
  warmup: number;
  minSamples: number;
  maxSamples: number;
  budgetMs: number;
  ops: BenchOp[];
}

/**
 * One worker run: for each op it ran, the median wall-clock nanoseconds per call/op and the median process CPU
 * nanoseconds (user + system, all threads), plus the sample count.
 */
export interface WorkerResult {
  side: "ours" | "python";
  mlxVersion: string;
  device: string;
  medianNs: Record<string, number>;
  medianCpuNs: Record<string, number>;
  samples: Record<string, number>;
}

const K = 2048;
const N = 8192;

function compute(what: "qmm" | "mm", m: number, dtype: BenchDtype): ComputeOp {
  const short = dtype === "float32" ? "f32" : dtype === "bfloat16" ? "bf16" : "f16";
  const label = what === "qmm" ? `qmm4 g64 [${m},${K}]x[${N},${K}]^T ${short}` : `matmul [${m},${K}]x[${K},${N}] ${short}`;
  return { kind: "compute", name: label, what, m, k: K, n: N, dtype };
}

/**
 * The default op list. On the CPU backend quantized and bf16 math run scalar (a bf16 4-bit qmm with 32 rows takes
 * seconds), so the CPU set times the 4-bit qmm with float32 activations at both row counts and with bf16 at one
 * row; `BENCH_DTYPE` forces one dtype for every compute op.
 */
export function defaultOps(device: Device, forced?: BenchDtype): BenchOp[] {
  const calls: BenchOp[] = [
    { kind: "call", name: "add(a,b)+free, no eval", what: "add" },
    { kind: "call", name: "getActiveMemory()", what: "activeMemory" },
    { kind: "call", name: "raw symbol vmlx_live_arrays", what: "rawSymbol" },
  ];
  if (forced) {
    return [...calls, compute("qmm", 1, forced), compute("qmm", 32, forced), compute("mm", 1, forced),
      compute("mm", 32, forced)];
  }
  const qmmDtype: BenchDtype = device === "cpu" ? "float32" : "bfloat16";
  const extra = device === "cpu" ? [compute("qmm", 1, "bfloat16")] : [];
  return [...calls, compute("qmm", 1, qmmDtype), compute("qmm", 32, qmmDtype), ...extra,
    compute("mm", 1, "bfloat16"), compute("mm", 32, "bfloat16")];
}

export function isDevice(v: string): v is Device {
  return v === "cpu" || v === "gpu";
}

export function isBenchDtype(v: string): v is BenchDtype {
  return v === "float32" || v === "bfloat16" || v === "float16";
}

/** The median of `xs` (mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
