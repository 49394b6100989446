/** Elementwise unary ops, and activations composed from them. */
import { Array } from "../array.ts";
import { N, OUT, take } from "../ffi/call.ts";
import { type Stream, streamHandle as S } from "../stream.ts";
import { multiply } from "./core-elementwise.ts";

/** `-a`. @example mx.negative(x) */
export function negative(a: Array, s?: Stream): Array {
  return new Array(take("mlx_negative", N.mlx_negative(OUT, a._h, S(s))));
}
/** `|a|`. @example mx.abs(x) */
export function abs(a: Array, s?: Stream): Array {
  return new Array(take("mlx_abs", N.mlx_abs(OUT, a._h, S(s))));
}
/** -1, 0 or 1 by sign. @example mx.sign(x) */
export function sign(a: Array, s?: Stream): Array {
  return new Array(take("mlx_sign", N.mlx_sign(OUT, a._h, S(s))));
}
/** `e^a`. @example mx.exp(x) */
export function exp(a: Array, s?: Stream): Array {
  return new Array(take("mlx_exp", N.mlx_exp(OUT, a._h, S(s))));
}
/** Natural log. @example mx.log(probs) */
export function log(a: Array, s?: Stream): Array {
  return new Array(take("mlx_log", N.mlx_log(OUT, a._h, S(s))));
}
/** `log(1 + a)`, accurate near 0. @example mx.log1p(x) */
export function log1p(a: Array, s?: Stream): Array {
  return new Array(take("mlx_log1p", N.mlx_log1p(OUT, a._h, S(s))));
}
/** Square root. @example mx.sqrt(x) */
export function sqrt(a: Array, s?: Stream): Array {
  return new Array(take("mlx_sqrt", N.mlx_sqrt(OUT, a._h, S(s))));
}
/** `1 / sqrt(a)`. @example mx.rsqrt(variance) */
export function rsqrt(a: Array, s?: Stream): Array {
  return new Array(take("mlx_rsqrt", N.mlx_rsqrt(OUT, a._h, S(s))));
}
/** `a * a`. @example mx.square(x) */
export function square(a: Array, s?: Stream): Array {
  return new Array(take("mlx_square", N.mlx_square(OUT, a._h, S(s))));
}
/** `1 / a`. @example mx.reciprocal(x) */
export function reciprocal(a: Array, s?: Stream): Array {
  return new Array(take("mlx_reciprocal", N.mlx_reciprocal(OUT, a._h, S(s))));
}
/** Sine. @example mx.sin(angles) */
export function sin(a: Array, s?: Stream): Array {
  return new Array(take("mlx_sin", N.mlx_sin(OUT, a._h, S(s))));
}
/** Cosine. @example mx.cos(angles) */
export function cos(a: Array, s?: Stream): Array {
  return new Array(take("mlx_cos", N.mlx_cos(OUT, a._h, S(s))));
}
/** Hyperbolic tangent. @example mx.tanh(x) */
export function tanh(a: Array, s?: Stream): Array {
  return new Array(take("mlx_tanh", N.mlx_tanh(OUT, a._h, S(s))));
}
/** `1 / (1 + e^-a)`. @example mx.sigmoid(x) */
export function sigmoid(a: Array, s?: Stream): Array {
  return new Array(take("mlx_sigmoid", N.mlx_sigmoid(OUT, a._h, S(s))));
}
/** The error function. @example mx.erf(x) */
export function erf(a: Array, s?: Stream): Array {
  return new Array(take("mlx_erf", N.mlx_erf(OUT, a._h, S(s))));
}
/** Logical not (zero is false). @example mx.logicalNot(mask) */
export function logicalNot(a: Array, s?: Stream): Array {
  return new Array(take("mlx_logical_not", N.mlx_logical_not(OUT, a._h, S(s))));
}
/** Round down. @example mx.floor(x) */
export function floor(a: Array, s?: Stream): Array {
  return new Array(take("mlx_floor", N.mlx_floor(OUT, a._h, S(s))));
}
/** Round up. @example mx.ceil(x) */
export function ceil(a: Array, s?: Stream): Array {
  return new Array(take("mlx_ceil", N.mlx_ceil(OUT, a._h, S(s))));
}
/** Round half to even, to `decimals` places. @example mx.round(x, 2) */
export function round(a: Array, decimals = 0, s?: Stream): Array {
  return new Array(take("mlx_round", N.mlx_round(OUT, a._h, decimals, S(s))));
}
/** True where `a` is NaN. @example mx.isnan(logits) */
export function isnan(a: Array, s?: Stream): Array {
  return new Array(take("mlx_isnan", N.mlx_isnan(OUT, a._h, S(s))));
}
/** True where `a` is +/-infinity. @example mx.isinf(logits) */
export function isinf(a: Array, s?: Stream): Array {
  return new Array(take("mlx_isinf", N.mlx_isinf(OUT, a._h, S(s))));
}
/** Identity that blocks gradients. @example mx.stopGradient(x) */
export function stopGradient(a: Array, s?: Stream): Array {
  return new Array(take("mlx_stop_gradient", N.mlx_stop_gradient(OUT, a._h, S(s))));
}

/** SiLU (swish): `x * sigmoid(x)`. @example mx.silu(gate) */
export function silu(x: Array, s?: Stream): Array {
  using sig = sigmoid(x, s);
  return multiply(x, sig, s);
}
