/** Arrays built by MLX from a shape or a range, dtype conversion and triangular masks. */
import { Array } from "../array.ts";
import type { Dtype } from "../dtype.ts";
import { N, OUT, take } from "../ffi/call.ts";
import { type Stream, streamHandle as S } from "../stream.ts";
import { ARG0, dtypeCode } from "./core-args.ts";

/** An array of zeros. @example mx.zeros([2, 3], "bfloat16") */
export function zeros(shape: readonly number[], dtype: Dtype = "float32", s?: Stream): Array {
  const code = dtypeCode(dtype);
  return new Array(take("mlx_zeros", N.mlx_zeros(OUT, ARG0.set(shape), shape.length, code, S(s))));
}

/** An array of ones. @example mx.ones([4]) */
export function ones(shape: readonly number[], dtype: Dtype = "float32", s?: Stream): Array {
  const code = dtypeCode(dtype);
  return new Array(take("mlx_ones", N.mlx_ones(OUT, ARG0.set(shape), shape.length, code, S(s))));
}

/**
 * An array filled with `value` (a number, or an array broadcast to `shape`). Without a dtype, a number gives
 * int32 when integral and float32 otherwise (as in MLX Python); an array keeps its own dtype.
 *
 * @example
 *   mx.full([2, 2], -Infinity) // float32
 */
export function full(shape: readonly number[], value: number | Array, dtype?: Dtype, s?: Stream): Array {
  if (typeof value === "number") {
    const code = dtypeCode(dtype ?? (Number.isInteger(value) ? "int32" : "float32"));
    return new Array(take("vmlx_full_scalar", N.vmlx_full_scalar(OUT, ARG0.set(shape), shape.length, value, code, S(s))));
  }
  const code = dtypeCode(dtype ?? value.dtype);
  return new Array(take("mlx_full", N.mlx_full(OUT, ARG0.set(shape), shape.length, value._h, code, S(s))));
}

/**
 * Evenly spaced values in `[start, stop)`; `arange(n)` counts from 0. Without a dtype: int32 when every argument
 * is an integer, else float32.
 *
 * @example
 *   mx.arange(5).toList() // [0, 1, 2, 3, 4]
 *   mx.arange(0, 1, 0.25) // float32 [0, 0.25, 0.5, 0.75]
 */
export function arange(start: number, stop?: number, step = 1, dtype?: Dtype, s?: Stream): Array {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  const ints = Number.isInteger(start) && Number.isInteger(stop) && Number.isInteger(step);
  const code = dtypeCode(dtype ?? (ints ? "int32" : "float32"));
  return new Array(take("mlx_arange", N.mlx_arange(OUT, start, stop, step, code, S(s))));
}

/** `a` converted to `dtype`; throws DtypeError for an unknown name. @example mx.astype(logits, "float32") */
export function astype(a: Array, dtype: Dtype, s?: Stream): Array {
  const code = dtypeCode(dtype);
  return new Array(take("mlx_astype", N.mlx_astype(OUT, a._h, code, S(s))));
}

/** A row-contiguous copy of `a` (no copy when it already is). @example mx.contiguous(mx.transpose(x)) */
export function contiguous(a: Array, allowColMajor = false, s?: Stream): Array {
  return new Array(take("mlx_contiguous", N.mlx_contiguous(OUT, a._h, allowColMajor, S(s))));
}

/** The lower triangle of the last two axes (zero above diagonal `k`). @example mx.tril(mx.ones([4, 4])) */
export function tril(a: Array, k = 0, s?: Stream): Array {
  return new Array(take("mlx_tril", N.mlx_tril(OUT, a._h, k, S(s))));
}

/** The upper triangle of the last two axes (zero below diagonal `k`). @example mx.triu(scores, 1) */
export function triu(a: Array, k = 0, s?: Stream): Array {
  return new Array(take("mlx_triu", N.mlx_triu(OUT, a._h, k, S(s))));
}
