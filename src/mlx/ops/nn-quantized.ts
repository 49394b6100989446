/** Quantization: quantize, dequantize and matmuls against quantized weights. */
import { Array } from "../array.ts";
import type { Dtype } from "../dtype.ts";
import { check, N, OUT, take } from "../ffi/call.ts";
import { type Stream, streamHandle as S } from "../stream.ts";
import { cstr, optDtype, optHandle, optInt, takeVector } from "./nn-args.ts";

/** "affine" (scales and biases) or a scale-only mode such as "mxfp4", "mxfp8", "nvfp4". */
export type QuantizationMode = "affine" | "mxfp4" | "mxfp8" | "nvfp4";

export interface QuantizationOptions {
  /** Elements per scale along the last axis (MLX's default for the mode when absent: 64 for affine). */
  groupSize?: number;
  /** Bits per element (MLX's default for the mode when absent: 4 for affine). */
  bits?: number;
  mode?: QuantizationMode;
}

export interface QuantizedWeight {
  /** Packed uint32 `[..., in * bits / 32]`. */
  wq: Array;
  /** `[..., in / groupSize]`. */
  scales: Array;
  /** `[..., in / groupSize]` in affine mode, else null. */
  biases: Array | null;
}

/**
 * Quantizes `w` along its last axis.
 *
 * @example
 *   const { wq, scales, biases } = mx.quantize(w, { groupSize: 64, bits: 4 });
 */
export function quantize(w: Array, opts: QuantizationOptions = {}, s?: Stream): QuantizedWeight {
  const mode = cstr(opts.mode ?? "affine");
  const st = N.mlx_quantize(OUT, w._h, optInt(opts.groupSize), optInt(opts.bits), mode, null, S(s));
  const [wq, scales, biases] = takeVector(take("mlx_quantize", st));
  return { wq: wq!, scales: scales!, biases: biases ?? null };
}

/**
 * The inverse of `quantize` (up to rounding). `dtype` defaults to the scales' dtype.
 *
 * @example
 *   const w2 = mx.dequantize(wq, scales, biases, { groupSize: 64, bits: 4 });
 */
export function dequantize(
  wq: Array,
  scales: Array,
  biases: Array | null,
  opts: QuantizationOptions & { dtype?: Dtype } = {},
  s?: Stream,
): Array {
  const mode = cstr(opts.mode ?? "affine");
  const st = N.mlx_dequantize(OUT, wq._h, scales._h, optHandle(biases), optInt(opts.groupSize), optInt(opts.bits),
    mode, null, optDtype(opts.dtype), S(s));
  return new Array(take("mlx_dequantize", st));
}

/**
 * Which implementation multiplies: `"mlx"` is MLX's op; `"kernel"` is vmlx's vectorized, multi-threaded CPU
 * kernel (affine, transposed, bits 4 or 8, group 32/64/128, a 2-D weight, float32/float16/bfloat16 on a CPU
 * stream; an MlxError elsewhere); `"auto"` takes the kernel where it applies, else MLX's op.
 */
export type QuantizedMatmulPath = "auto" | "mlx" | "kernel";

export interface QuantizedMatmulOptions extends QuantizationOptions {
  /** `x @ w.T` when true (the Linear layout `[out, in]`), `x @ w` when false. Default true. */
  transpose?: boolean;
  /** Default `"auto"`. */
  path?: QuantizedMatmulPath;
}

/**
 * `x @ dequantize(w).T` (or without the transpose) without materializing the dequantized weight. On a CPU
 * stream the affine `x @ w.T` shapes run on vmlx's kernel (float32 accumulation; MLX's op sums in another
 * order, so the two agree to float32 rounding, not bit for bit).
 *
 * @example
 *   const y = mx.quantizedMatmul(x, wq, scales, biases, { groupSize: 64, bits: 4 });
 */
export function quantizedMatmul(
  x: Array,
  w: Array,
  scales: Array,
  biases: Array | null,
  opts: QuantizedMatmulOptions = {},
  s?: Stream,
): Array {
  const mode = cstr(opts.mode ?? "affine");
  const path = cstr(opts.path ?? "auto");
  const st = N.vmlx_quantized_matmul(OUT, x._h, w._h, scales._h, optHandle(biases), opts.transpose ?? true,
    optInt(opts.groupSize), optInt(opts.bits), mode, path, S(s));
  return new Array(take("vmlx_quantized_matmul", st));
}

/** The CPU kernel's instruction sets: `"auto"` picks the best this CPU has. */
export type QmmCpuIsa = "auto" | "amx" | "avx512bf16" | "avx512" | "avx2" | "scalar";

/**
 * The instruction set the CPU quantized-matmul kernel runs now (`VMLX_QMM_ISA=scalar` forces the portable one,
 * `=avx2` the AVX2 kernels on an AVX-512 CPU).
 *
 * - `"amx"`: AMX-BF16 tiles for prefill, the AVX2 GEMV for decode (Linux on Sapphire Rapids or later);
 * - `"avx512"`: the AVX-512 F/BW/VL tile for prefill, the AVX2 GEMV; `"avx2"`: AVX2, FMA and F16C (Haswell or
 *   later); `"scalar"`: portable loops;
 * - `"avx512bf16"`, only by name: `"avx512"` with an AVX512-BF16 GEMV, faster alone but not in a decode (measured
 *   on a Sapphire Rapids VM).
 *
 * The bfloat16 paths split x and the weights into two bfloat16 terms each, so results keep the float32 kernels'
 * bound (1e-5 of the sum of |x_k w_k|).
 *
 * @example
 *   mx.qmmCpuIsa(); // "amx" on a Sapphire Rapids Xeon, "avx2" on Haswell or later, else "scalar"
 */
export function qmmCpuIsa(): Exclude<QmmCpuIsa, "auto"> {
  return String(N.vmlx_qmm_cpu_isa()) as Exclude<QmmCpuIsa, "auto">;
}

/**
 * Forces the CPU kernel's instruction set for the whole process (tests run both paths on one machine). Throws
 * an MlxError for an instruction set this CPU (or build) lacks: `"avx2"` without AVX2, FMA and F16C, `"avx512"`
 * without AVX-512 F/BW/VL, `"avx512bf16"` without AVX512-BF16 and DQ, `"amx"` without AMX-TILE and AMX-BF16 (or
 * where the kernel refuses the tile state).
 *
 * @example
 *   mx.setQmmCpuIsa("scalar"); try { ... } finally { mx.setQmmCpuIsa("auto"); }
 */
export function setQmmCpuIsa(isa: QmmCpuIsa): void {
  check("vmlx_qmm_cpu_set_isa", N.vmlx_qmm_cpu_set_isa(cstr(isa)));
}

export interface GatherQmmOptions extends QuantizedMatmulOptions {
  lhsIndices?: Array | null;
  rhsIndices?: Array | null;
  sortedIndices?: boolean;
}

/**
 * `gatherMm` against quantized weights: each output uses `x[lhs[i]]` and expert `w[rhs[i]]`.
 *
 * @example
 *   mx.gatherQmm(x, wq, scales, biases, { rhsIndices: expertIds, groupSize: 64, bits: 4 })
 */
export function gatherQmm(
  x: Array,
  w: Array,
  scales: Array,
  biases: Array | null,
  opts: GatherQmmOptions = {},
  s?: Stream,
): Array {
  const mode = cstr(opts.mode ?? "affine");
  const st = N.mlx_gather_qmm(OUT, x._h, w._h, scales._h, optHandle(biases), optHandle(opts.lhsIndices),
    optHandle(opts.rhsIndices), opts.transpose ?? true, optInt(opts.groupSize), optInt(opts.bits), mode,
    opts.sortedIndices ?? false, S(s));
  return new Array(take("mlx_gather_qmm", st));
}
