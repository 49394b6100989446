/** Sorting, partitions and top-k along an axis (the last by default). */
import { Array } from "../array.ts";
import { N, OUT, take } from "../ffi/call.ts";
import { type Stream, streamHandle as S } from "../stream.ts";

/** A sorted copy (stable; NaN last). @example mx.sort(x) */
export function sort(a: Array, axis = -1, s?: Stream): Array {
  return new Array(take("mlx_sort_axis", N.mlx_sort_axis(OUT, a._h, axis, S(s))));
}
/** Indices that sort `a` (uint32, stable). @example mx.argsort(mx.negative(logits)) */
export function argsort(a: Array, axis = -1, s?: Stream): Array {
  return new Array(take("mlx_argsort_axis", N.mlx_argsort_axis(OUT, a._h, axis, S(s))));
}
/**
 * A copy where element `kth` is in sorted position, smaller ones before it and larger ones after (unordered).
 *
 * @example
 *   mx.partition(x, 2)
 */
export function partition(a: Array, kth: number, axis = -1, s?: Stream): Array {
  return new Array(take("mlx_partition_axis", N.mlx_partition_axis(OUT, a._h, kth, axis, S(s))));
}
/**
 * Indices that partition `a` around its `kth` element (uint32); negative `kth` counts from the end.
 *
 * @example
 *   mx.argpartition(mx.negative(logits), k - 1) // the first k hold the top-k, unordered
 */
export function argpartition(a: Array, kth: number, axis = -1, s?: Stream): Array {
  return new Array(take("mlx_argpartition_axis", N.mlx_argpartition_axis(OUT, a._h, kth, axis, S(s))));
}
/** The `k` largest values along `axis` (unordered). @example mx.topk(logits, 50) */
export function topk(a: Array, k: number, axis = -1, s?: Stream): Array {
  return new Array(take("mlx_topk_axis", N.mlx_topk_axis(OUT, a._h, k, axis, S(s))));
}
