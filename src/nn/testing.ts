/**
 * Helpers for the layer tests: seeded random tensors, and the plain-MLX reference pieces (linear, RMSNorm,
 * rotation) that the naive attention and MLP references are built from.
 */
import * as mx from "../mlx/index.ts";

/** Owns the temporaries of a reference computation; disposes them together. */
export class Scope {
  readonly #arrays: mx.Array[] = [];

  /** Keeps `a` until the scope ends, and returns it. */
  k(a: mx.Array): mx.Array {
    this.#arrays.push(a);
    return a;
  }

  [Symbol.dispose](): void {
    for (const a of this.#arrays) a.dispose();
  }
}

/** float32 normal(0, std) of `shape` from `seed`. */
export function randn(shape: readonly number[], seed: number, std = 1, mean = 0): mx.Array {
  using key = mx.randomKey(seed);
  return mx.normal(shape, "float32", key, mean, std);
}

/** Largest |a - b| over all elements (same shapes). */
export function maxAbsDiff(a: mx.Array, b: mx.Array): number {
  if (a.shape.join() !== b.shape.join()) throw new RangeError(`shapes [${a.shape}] and [${b.shape}] differ`);
  using d = mx.subtract(a, b);
  using ad = mx.abs(d);
  using m = mx.max(ad);
  return m.item();
}

/** Largest |a| over all elements. */
export function maxAbs(a: mx.Array): number {
  using ad = mx.abs(a);
  using m = mx.max(ad);
  return m.item();
}

/** `x W^T (+ b)` with a plain matmul; W is `[out, in]`. */
export function naiveLinear(x: mx.Array, w: mx.Array, b: mx.Array | null): mx.Array {
  using wt = mx.transpose(w);
  const y = mx.matmul(x, wt);
  if (!b) return y;
  using _y = y;
  return mx.add(y, b);
}

/** `x / sqrt(mean(x^2) + eps) * w` over the last axis. */
export function naiveRmsNorm(x: mx.Array, w: mx.Array, eps: number): mx.Array {
  using sq = mx.multiply(x, x);
  using ms = mx.mean(sq, -1, true);
  using ms1 = mx.add(ms, eps);
  using inv = mx.rsqrt(ms1);
  using n = mx.multiply(x, inv);
  return mx.multiply(n, w);
}

/**
 * Non-traditional RoPE of `x` `[B, H, T, D]` at positions `0..T-1`, rotating all D features (first half
 * against second half) with angles `p * base^(-2i/D)` computed on the host in float64.
 */
export function naiveRope(x: mx.Array, base: number): mx.Array {
  const [B, H, T, D] = x.shape as [number, number, number, number];
  const half = D / 2;
  const cos: number[] = [];
  const sin: number[] = [];
  for (let p = 0; p < T; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p * base ** ((-2 * i) / D);
      cos.push(Math.cos(angle));
      sin.push(Math.sin(angle));
    }
  }
  using c = mx.array(cos, { dtype: "float32", shape: [T, half] });
  using s = mx.array(sin, { dtype: "float32", shape: [T, half] });
  using x1 = mx.slice(x, [0, 0, 0, 0], [B, H, T, half]);
  using x2 = mx.slice(x, [0, 0, 0, half], [B, H, T, D]);
  using a1 = mx.multiply(x1, c);
  using b1 = mx.multiply(x2, s);
  using a2 = mx.multiply(x1, s);
  using b2 = mx.multiply(x2, c);
  using r1 = mx.subtract(a1, b1);
  using r2 = mx.add(a2, b2);
  return mx.concatenate([r1, r2], -1);
}
