/**
 * Random numbers. Every sampler takes an optional `key` (from `randomKey`/`randomSplit`): with one the result is
 * reproducible; without, it draws from the global PRNG that `seed` resets.
 */
import { Array } from "../array.ts";
import { scalar } from "../creation.ts";
import type { Dtype } from "../dtype.ts";
import { check, N, OUT, take } from "../ffi/call.ts";
import { type Stream, streamHandle as S } from "../stream.ts";
import { ARG0, dtypeCode, scalarLike } from "./core-args.ts";

/** Seeds the global PRNG. @example mx.seed(0) */
export function seed(n: number): void {
  check("mlx_random_seed", N.mlx_random_seed(n));
}

/** A PRNG key (uint32, shape [2]) from a seed. @example using key = mx.randomKey(42) */
export function randomKey(seedValue: number): Array {
  return new Array(take("mlx_random_key", N.mlx_random_key(OUT, seedValue)));
}

/** `num` new keys from `key`, shape [num, 2]. @example using keys = mx.randomSplit(key) */
export function randomSplit(key: Array, num = 2, s?: Stream): Array {
  return new Array(take("mlx_random_split_num", N.mlx_random_split_num(OUT, key._h, num, S(s))));
}

export interface CategoricalOptions {
  /** The axis of categories (default -1). */
  axis?: number;
  key?: Array;
  /** Draw this many samples per distribution (a trailing axis); one, without an axis, when omitted. */
  numSamples?: number;
}

/**
 * Samples category indices (uint32) from unnormalized log-probabilities; `-Infinity` logits are never drawn.
 *
 * @example
 *   mx.categorical(mx.divide(logits, temperature), { key })
 */
export function categorical(logits: Array, opts: CategoricalOptions = {}, s?: Stream): Array {
  const axis = opts.axis ?? -1;
  const key = opts.key ? opts.key._h : null;
  if (opts.numSamples !== undefined) {
    const status = N.mlx_random_categorical_num_samples(OUT, logits._h, axis, opts.numSamples, key, S(s));
    return new Array(take("mlx_random_categorical_num_samples", status));
  }
  return new Array(take("mlx_random_categorical", N.mlx_random_categorical(OUT, logits._h, axis, key, S(s))));
}

/** Uniform samples in `[low, high)`. @example mx.uniform(0, 1, [4], "float32", key) */
export function uniform(low: number | Array = 0, high: number | Array = 1, shape: readonly number[] = [],
  dtype: Dtype = "float32", key?: Array, s?: Stream): Array {
  const code = dtypeCode(dtype);
  using lo = typeof low === "number" ? scalarLike(low, null) : undefined;
  using hi = typeof high === "number" ? scalarLike(high, null) : undefined;
  const lh = lo ? lo._h : (low as Array)._h;
  const hh = hi ? hi._h : (high as Array)._h;
  const status = N.mlx_random_uniform(OUT, lh, hh, ARG0.set(shape), shape.length, code, key ? key._h : null, S(s));
  return new Array(take("mlx_random_uniform", status));
}

/** Normal samples with mean `loc` and standard deviation `scale`. @example mx.normal([2, 3], "float32", key) */
export function normal(shape: readonly number[], dtype: Dtype = "float32", key?: Array, loc = 0, scale = 1,
  s?: Stream): Array {
  const code = dtypeCode(dtype);
  const status = N.mlx_random_normal(OUT, ARG0.set(shape), shape.length, code, loc, scale, key ? key._h : null, S(s));
  return new Array(take("mlx_random_normal", status));
}

/**
 * Booleans that are true with probability `p` (a number, or a floating array; shape defaults to p's).
 *
 * @example
 *   mx.bernoulli(0.1, [8], key)
 */
export function bernoulli(p: number | Array = 0.5, shape?: readonly number[], key?: Array, s?: Stream): Array {
  using pt = typeof p === "number" ? scalar(p) : undefined;
  const ph = pt ? pt._h : (p as Array)._h;
  const dims = shape ?? (typeof p === "number" ? [] : p.shape);
  const status = N.mlx_random_bernoulli(OUT, ph, ARG0.set(dims), dims.length, key ? key._h : null, S(s));
  return new Array(take("mlx_random_bernoulli", status));
}
