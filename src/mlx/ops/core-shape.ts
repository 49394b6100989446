/** Reshaping, axis moves, broadcasting, joining, splitting, repeating and padding. */
import { Array } from "../array.ts";
import { N, OUT, pin, take } from "../ffi/call.ts";
import { type Stream, streamHandle as S } from "../stream.ts";
import { ARG0, ARG1, ARG2, axesArg, handlesArg, scalarLike, takeVector } from "./core-args.ts";

/** `a` with a new shape of the same size; one dimension may be -1. @example mx.reshape(x, [B, L, H, -1]) */
export function reshape(a: Array, shape: readonly number[], s?: Stream): Array {
  return new Array(take("mlx_reshape", N.mlx_reshape(OUT, a._h, ARG0.set(shape), shape.length, S(s))));
}

/** Axes permuted (reversed when `axes` is omitted). @example mx.transpose(x, [0, 2, 1, 3]) */
export function transpose(a: Array, axes?: readonly number[], s?: Stream): Array {
  if (axes === undefined) return new Array(take("mlx_transpose", N.mlx_transpose(OUT, a._h, S(s))));
  return new Array(take("mlx_transpose_axes", N.mlx_transpose_axes(OUT, a._h, ARG0.set(axes), axes.length, S(s))));
}

/** Two axes swapped. @example mx.swapaxes(x, 1, 2) */
export function swapaxes(a: Array, axis1: number, axis2: number, s?: Stream): Array {
  return new Array(take("mlx_swapaxes", N.mlx_swapaxes(OUT, a._h, axis1, axis2, S(s))));
}

/** Size-1 axes inserted at `axes`. @example mx.expandDims(x, 0) */
export function expandDims(a: Array, axes: number | readonly number[], s?: Stream): Array {
  const [p, n] = axesArg(axes);
  return new Array(take("mlx_expand_dims_axes", N.mlx_expand_dims_axes(OUT, a._h, p, n, S(s))));
}

/** Size-1 axes removed (all of them when `axes` is omitted). @example mx.squeeze(x, 1) */
export function squeeze(a: Array, axes?: number | readonly number[], s?: Stream): Array {
  if (axes === undefined) return new Array(take("mlx_squeeze", N.mlx_squeeze(OUT, a._h, S(s))));
  const [p, n] = axesArg(axes);
  return new Array(take("mlx_squeeze_axes", N.mlx_squeeze_axes(OUT, a._h, p, n, S(s))));
}

/** `a` broadcast to `shape` (a view). @example mx.broadcastTo(mask, [B, 1, L, L]) */
export function broadcastTo(a: Array, shape: readonly number[], s?: Stream): Array {
  return new Array(take("mlx_broadcast_to", N.mlx_broadcast_to(OUT, a._h, ARG0.set(shape), shape.length, S(s))));
}

/** Axes `start..end` (inclusive) merged into one. @example mx.flatten(x, 1) */
export function flatten(a: Array, start = 0, end = -1, s?: Stream): Array {
  return new Array(take("mlx_flatten", N.mlx_flatten(OUT, a._h, start, end, S(s))));
}

/** Arrays joined along an existing axis. @example mx.concatenate([past, k], 2) */
export function concatenate(arrays: readonly Array[], axis = 0, s?: Stream): Array {
  const p = handlesArg(arrays);
  return new Array(take("vmlx_concatenate_n", N.vmlx_concatenate_n(OUT, p, arrays.length, axis, S(s))));
}

/** Arrays joined along a new axis. @example mx.stack([a, b]) */
export function stack(arrays: readonly Array[], axis = 0, s?: Stream): Array {
  const p = handlesArg(arrays);
  return new Array(take("vmlx_stack_n", N.vmlx_stack_n(OUT, p, arrays.length, axis, S(s))));
}

/**
 * `a` split along `axis` into `sections` equal parts, or at the given indices.
 *
 * @example
 *   const [q, k, v] = mx.split(qkv, 3, -1);
 *   const [head, tail] = mx.split(x, [2], 0);
 */
export function split(a: Array, indicesOrSections: number | readonly number[], axis = 0, s?: Stream): Array[] {
  if (typeof indicesOrSections === "number") {
    return takeVector("mlx_split", N.mlx_split(OUT, a._h, indicesOrSections, axis, S(s)));
  }
  const p = ARG0.set(indicesOrSections);
  return takeVector("mlx_split_sections", N.mlx_split_sections(OUT, a._h, p, indicesOrSections.length, axis, S(s)));
}

/** Each element repeated `repeats` times along `axis` (of the flattened array when omitted). @example mx.repeat(kv, 4, 1) */
export function repeat(a: Array, repeats: number, axis?: number, s?: Stream): Array {
  if (axis === undefined) return new Array(take("mlx_repeat", N.mlx_repeat(OUT, a._h, repeats, S(s))));
  return new Array(take("mlx_repeat_axis", N.mlx_repeat_axis(OUT, a._h, repeats, axis, S(s))));
}

export type PadWidth = number | readonly [number, number] | readonly (readonly [number, number])[];
const CONSTANT_MODE = new TextEncoder().encode("constant\0");
const constantMode = pin(CONSTANT_MODE.length);
new Uint8Array(constantMode.buffer).set(CONSTANT_MODE);
const CONSTANT_MODE_PTR = constantMode.ptr;

/**
 * `a` padded with a constant: `padWidth` is one width for every side, a `[before, after]` pair for every axis,
 * or one pair per leading axis.
 *
 * @example
 *   mx.pad(x, [[0, 0], [0, 3]], 0)
 */
export function pad(a: Array, padWidth: PadWidth, value = 0, s?: Stream): Array {
  const perAxis = typeof padWidth !== "number" && typeof padWidth[0] !== "number";
  const n = perAxis ? padWidth.length : a.ndim;
  const low: number[] = [];
  const high: number[] = [];
  const axes: number[] = [];
  for (let i = 0; i < n; i++) {
    const w = typeof padWidth === "number" ? [padWidth, padWidth] : perAxis ? padWidth[i] as readonly number[] : padWidth;
    axes.push(i);
    low.push(w[0] as number);
    high.push(w[1] as number);
  }
  using v = scalarLike(value, a);
  const status = N.mlx_pad(OUT, a._h, ARG0.set(axes), n, ARG1.set(low), n, ARG2.set(high), n, v._h, CONSTANT_MODE_PTR,
    S(s));
  return new Array(take("mlx_pad", status));
}
