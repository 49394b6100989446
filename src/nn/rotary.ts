/**
 * Rotary embeddings from explicit angles, for positions that are not a contiguous run from an offset
 * (M-RoPE's 3D positions, the vision towers' 2D patch positions). The half-split ("rotate_half") layout,
 * as HF and mlx-vlm apply it.
 */
import * as mx from "../mlx/index.ts";

/** `[-x2, x1]` where x1, x2 are the two halves of the last axis. */
export function rotateHalf(x: mx.Array): mx.Array {
  const d = x.shape[x.ndim - 1]!;
  const [x1, x2] = mx.split(x, [d / 2], -1) as [mx.Array, mx.Array];
  using _x1 = x1;
  using _x2 = x2;
  using n2 = mx.negative(x2);
  return mx.concatenate([n2, x1], -1);
}

/**
 * `x * cos + rotateHalf(x) * sin` over the first `cos.shape[-1]` features of `x` (the rest pass through).
 * `cos`/`sin` broadcast against `x`.
 */
export function applyRotary(x: mx.Array, cos: mx.Array, sin: mx.Array): mx.Array {
  const dims = cos.shape[cos.ndim - 1]!;
  const d = x.shape[x.ndim - 1]!;
  if (dims === d) return rotate(x, cos, sin);
  const [head, tail] = mx.split(x, [dims], -1) as [mx.Array, mx.Array];
  using h = head;
  using t = tail;
  using r = rotate(h, cos, sin);
  return mx.concatenate([r, t], -1);
}

function rotate(x: mx.Array, cos: mx.Array, sin: mx.Array): mx.Array {
  using a = mx.multiply(x, cos);
  using rh = rotateHalf(x);
  using b = mx.multiply(rh, sin);
  return mx.add(a, b);
}

/**
 * cos and sin of `concat(angles, angles)`: angles `[..., dims/2]` (float32) -> two `[..., dims]` arrays,
 * cast to `dtype` when given.
 */
export function cosSin(angles: mx.Array, dtype?: mx.Dtype): [mx.Array, mx.Array] {
  using emb = mx.concatenate([angles, angles], -1);
  const c = mx.cos(emb);
  const s = mx.sin(emb);
  if (!dtype || dtype === c.dtype) return [c, s];
  using _c = c;
  using _s = s;
  return [mx.astype(c, dtype), mx.astype(s, dtype)];
}

/** `1 / base ** (arange(0, dims, 2) / dims)` in float32: the inverse frequencies of plain RoPE. */
export function inverseFrequencies(dims: number, base: number): mx.Array {
  using idx = mx.arange(0, dims, 2, "float32");
  using e = mx.divide(idx, dims);
  using b = mx.full([], base, "float32");
  using p = mx.power(b, e);
  return mx.divide(1, p);
}
