/** Slicing, slice updates, and gathers/scatters along an axis. */
import type { Pointer } from "bun:ffi";
import { Array } from "../array.ts";
import { N, OUT, take as takeHandle } from "../ffi/call.ts";
import { type Stream, streamHandle as S } from "../stream.ts";
import { ARG0, ARG1, ARG2 } from "./core-args.ts";

function stridesArg(strides: readonly number[] | undefined, n: number): Pointer {
  return strides === undefined ? ARG2.fill(1, n) : ARG2.set(strides);
}

/**
 * `a[start:stop:strides]` with one entry per axis (strides default to 1).
 *
 * @example
 *   mx.slice(x, [0, 2], [1, 5]) // x[0:1, 2:5]
 */
export function slice(a: Array, start: readonly number[], stop: readonly number[], strides?: readonly number[],
  s?: Stream): Array {
  const n = start.length;
  const st = stridesArg(strides, n);
  const status = N.mlx_slice(OUT, a._h, ARG0.set(start), n, ARG1.set(stop), stop.length, st, strides?.length ?? n, S(s));
  return new Array(takeHandle("mlx_slice", status));
}

/**
 * A copy of `src` with `src[start:stop:strides]` replaced by `update` (in place when `src` has no other reference).
 *
 * @example
 *   cache = mx.sliceUpdate(cache, k, [0, 0, offset, 0], [B, H, offset + L, D])
 */
export function sliceUpdate(src: Array, update: Array, start: readonly number[], stop: readonly number[],
  strides?: readonly number[], s?: Stream): Array {
  const n = start.length;
  const st = stridesArg(strides, n);
  const status = N.mlx_slice_update(OUT, src._h, update._h, ARG0.set(start), n, ARG1.set(stop), stop.length, st,
    strides?.length ?? n, S(s));
  return new Array(takeHandle("mlx_slice_update", status));
}

/**
 * Elements at `indices` along `axis` (of the flattened array when omitted).
 *
 * @example
 *   mx.take(embedding, tokens, 0) // rows
 */
export function take(a: Array, indices: Array, axis?: number, s?: Stream): Array {
  if (axis === undefined) return new Array(takeHandle("mlx_take", N.mlx_take(OUT, a._h, indices._h, S(s))));
  return new Array(takeHandle("mlx_take_axis", N.mlx_take_axis(OUT, a._h, indices._h, axis, S(s))));
}

/** `a[..., indices[...], ...]` element by element along `axis`. @example mx.takeAlongAxis(logprobs, ids, -1) */
export function takeAlongAxis(a: Array, indices: Array, axis: number, s?: Stream): Array {
  return new Array(takeHandle("mlx_take_along_axis", N.mlx_take_along_axis(OUT, a._h, indices._h, axis, S(s))));
}

/** A copy of `a` with `values` written at `indices` along `axis`. @example mx.putAlongAxis(logits, ids, masked, -1) */
export function putAlongAxis(a: Array, indices: Array, values: Array, axis: number, s?: Stream): Array {
  const status = N.mlx_put_along_axis(OUT, a._h, indices._h, values._h, axis, S(s));
  return new Array(takeHandle("mlx_put_along_axis", status));
}
