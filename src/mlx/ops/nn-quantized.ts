/** Quantization: quantize, dequantize and matmuls against quantized weights. */
import { Array } from "../array.ts";
import type { Dtype } from "../dtype.ts";
import { N, OUT, take } from "../ffi/call.ts";
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

export interface QuantizedMatmulOptions extends QuantizationOptions {
  /** `x @ w.T` when true (the Linear layout `[out, in]`), `x @ w` when false. Default true. */
  transpose?: boolean;
}

/**
 * `x @ dequantize(w).T` (or without the transpose) without materializing the dequantized weight.
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
  const st = N.mlx_quantized_matmul(OUT, x._h, w._h, scales._h, optHandle(biases), opts.transpose ?? true,
    optInt(opts.groupSize), optInt(opts.bits), mode, S(s));
  return new Array(take("mlx_quantized_matmul", st));
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
