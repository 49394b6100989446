/** Reductions, softmax and cumulative sums. `axes` omitted reduces over every axis. */
import type { Pointer } from "bun:ffi";
import { Array } from "../array.ts";
import { N, OUT, take } from "../ffi/call.ts";
import { type Stream, streamHandle as S } from "../stream.ts";
import { axesArg } from "./core-args.ts";

type ReduceAll = (res: Pointer, a: Pointer, keepdims: boolean, s: Pointer) => number;
type ReduceAxes = (res: Pointer, a: Pointer, axes: Pointer, n: number, keepdims: boolean, s: Pointer) => number;
export type Axes = number | readonly number[];

function reduce(name: string, all: ReduceAll, some: ReduceAxes, a: Array, axes: Axes | undefined, keepdims: boolean,
  s?: Stream): Array {
  if (axes === undefined) return new Array(take(name, all(OUT, a._h, keepdims, S(s))));
  const [p, n] = axesArg(axes);
  return new Array(take(name, some(OUT, a._h, p, n, keepdims, S(s))));
}

/** Sum over `axes`. @example mx.sum(x, -1, true) */
export function sum(a: Array, axes?: Axes, keepdims = false, s?: Stream): Array {
  return reduce("mlx_sum", N.mlx_sum, N.mlx_sum_axes, a, axes, keepdims, s);
}
/** Mean over `axes`. @example mx.mean(mx.square(x), -1, true) */
export function mean(a: Array, axes?: Axes, keepdims = false, s?: Stream): Array {
  return reduce("mlx_mean", N.mlx_mean, N.mlx_mean_axes, a, axes, keepdims, s);
}
/** Maximum over `axes`. @example mx.max(logits, -1) */
export function max(a: Array, axes?: Axes, keepdims = false, s?: Stream): Array {
  return reduce("mlx_max", N.mlx_max, N.mlx_max_axes, a, axes, keepdims, s);
}
/** Minimum over `axes`. @example mx.min(x) */
export function min(a: Array, axes?: Axes, keepdims = false, s?: Stream): Array {
  return reduce("mlx_min", N.mlx_min, N.mlx_min_axes, a, axes, keepdims, s);
}
/** Product over `axes`. @example mx.prod(x, 0) */
export function prod(a: Array, axes?: Axes, keepdims = false, s?: Stream): Array {
  return reduce("mlx_prod", N.mlx_prod, N.mlx_prod_axes, a, axes, keepdims, s);
}
/** True where every element over `axes` is true (non-zero). @example mx.all(mask) */
export function all(a: Array, axes?: Axes, keepdims = false, s?: Stream): Array {
  return reduce("mlx_all", N.mlx_all, N.mlx_all_axes, a, axes, keepdims, s);
}
/** True where any element over `axes` is true (non-zero). @example mx.any(mask, -1) */
export function any(a: Array, axes?: Axes, keepdims = false, s?: Stream): Array {
  return reduce("mlx_any", N.mlx_any, N.mlx_any_axes, a, axes, keepdims, s);
}
/** `log(sum(exp(a)))` over `axes`, computed stably. @example mx.logsumexp(logits, -1, true) */
export function logsumexp(a: Array, axes?: Axes, keepdims = false, s?: Stream): Array {
  return reduce("mlx_logsumexp", N.mlx_logsumexp, N.mlx_logsumexp_axes, a, axes, keepdims, s);
}

/** Index of the maximum along `axis` (of the flattened array when omitted), uint32. @example mx.argmax(logits, -1) */
export function argmax(a: Array, axis?: number, keepdims = false, s?: Stream): Array {
  if (axis === undefined) return new Array(take("mlx_argmax", N.mlx_argmax(OUT, a._h, keepdims, S(s))));
  return new Array(take("mlx_argmax_axis", N.mlx_argmax_axis(OUT, a._h, axis, keepdims, S(s))));
}
/** Index of the minimum along `axis` (of the flattened array when omitted), uint32. @example mx.argmin(x, 0) */
export function argmin(a: Array, axis?: number, keepdims = false, s?: Stream): Array {
  if (axis === undefined) return new Array(take("mlx_argmin", N.mlx_argmin(OUT, a._h, keepdims, S(s))));
  return new Array(take("mlx_argmin_axis", N.mlx_argmin_axis(OUT, a._h, axis, keepdims, S(s))));
}

/**
 * Softmax over `axes`; `precise` accumulates half-precision inputs in float32.
 *
 * @example
 *   mx.softmax(mx.array([0, Math.LN2])).toList() // [1/3, 2/3]
 */
export function softmax(a: Array, axes: Axes = -1, precise = false, s?: Stream): Array {
  const [p, n] = axesArg(axes);
  return new Array(take("mlx_softmax_axes", N.mlx_softmax_axes(OUT, a._h, p, n, precise, S(s))));
}

/**
 * Cumulative sum along `axis`; `reverse` scans from the end, `inclusive = false` shifts by one (starts at 0).
 *
 * @example
 *   mx.cumsum(mx.array([1, 2, 3]), 0, false, false).toList() // [0, 1, 3]
 */
export function cumsum(a: Array, axis = -1, reverse = false, inclusive = true, s?: Stream): Array {
  return new Array(take("mlx_cumsum", N.mlx_cumsum(OUT, a._h, axis, reverse, inclusive, S(s))));
}
