/**
 * Elementwise ops. Binary ops take `Array | number` on either side: a JS number is typed as MLX Python types a
 * scalar beside an array (weak typing: `bfloat16 + 2` stays bfloat16; an integer array with a non-integer number
 * becomes float32). JS cannot tell `2` from `2.0`, so integral numbers count as integers.
 */
import { Array } from "../array.ts";
import { N, OUT, take } from "../ffi/call.ts";
import { type Stream, streamHandle as S } from "../stream.ts";
import { scalarLike } from "./core-args.ts";

/** An operand of a binary op: an array, or a JS number typed after the other operand. */
export type Operand = Array | number;

// vmlx_binary_op codes (ffi/include/vmlx/ops_core.h).
const OP = {
  add: 0, subtract: 1, multiply: 2, divide: 3, maximum: 4, minimum: 5, power: 6, remainder: 7, equal: 8,
  notEqual: 9, greater: 10, greaterEqual: 11, less: 12, lessEqual: 13, logicalAnd: 14, logicalOr: 15,
} as const;

function withScalar(name: string, op: number, a: Operand, b: Operand, s?: Stream): Array {
  if (typeof a === "number") {
    if (typeof b === "number") {
      using x = scalarLike(a, null);
      return withScalar(name, op, x, b, s);
    }
    return new Array(take(name, N.vmlx_binary_scalar(OUT, op, b._h, a, true, S(s))));
  }
  return new Array(take(name, N.vmlx_binary_scalar(OUT, op, a._h, b as number, false, S(s))));
}

/** `a + b`. @example mx.add(x, 1) */
export function add(a: Operand, b: Operand, s?: Stream): Array {
  if (typeof a === "number" || typeof b === "number") return withScalar("add", OP.add, a, b, s);
  return new Array(take("mlx_add", N.mlx_add(OUT, a._h, b._h, S(s))));
}
/** `a - b`. @example mx.subtract(x, y) */
export function subtract(a: Operand, b: Operand, s?: Stream): Array {
  if (typeof a === "number" || typeof b === "number") return withScalar("subtract", OP.subtract, a, b, s);
  return new Array(take("mlx_subtract", N.mlx_subtract(OUT, a._h, b._h, S(s))));
}
/** `a * b`. @example mx.multiply(x, 0.5) */
export function multiply(a: Operand, b: Operand, s?: Stream): Array {
  if (typeof a === "number" || typeof b === "number") return withScalar("multiply", OP.multiply, a, b, s);
  return new Array(take("mlx_multiply", N.mlx_multiply(OUT, a._h, b._h, S(s))));
}
/** `a / b` (true division: integers give float32). @example mx.divide(x, 2) */
export function divide(a: Operand, b: Operand, s?: Stream): Array {
  if (typeof a === "number" || typeof b === "number") return withScalar("divide", OP.divide, a, b, s);
  return new Array(take("mlx_divide", N.mlx_divide(OUT, a._h, b._h, S(s))));
}
/** Elementwise maximum. @example mx.maximum(x, 0) // relu */
export function maximum(a: Operand, b: Operand, s?: Stream): Array {
  if (typeof a === "number" || typeof b === "number") return withScalar("maximum", OP.maximum, a, b, s);
  return new Array(take("mlx_maximum", N.mlx_maximum(OUT, a._h, b._h, S(s))));
}
/** Elementwise minimum. @example mx.minimum(x, 1) */
export function minimum(a: Operand, b: Operand, s?: Stream): Array {
  if (typeof a === "number" || typeof b === "number") return withScalar("minimum", OP.minimum, a, b, s);
  return new Array(take("mlx_minimum", N.mlx_minimum(OUT, a._h, b._h, S(s))));
}
/** `a ** b`. @example mx.power(x, 2) */
export function power(a: Operand, b: Operand, s?: Stream): Array {
  if (typeof a === "number" || typeof b === "number") return withScalar("power", OP.power, a, b, s);
  return new Array(take("mlx_power", N.mlx_power(OUT, a._h, b._h, S(s))));
}
/** `a % b` with the sign of `b` (Python semantics). @example mx.remainder(x, 3) */
export function remainder(a: Operand, b: Operand, s?: Stream): Array {
  if (typeof a === "number" || typeof b === "number") return withScalar("remainder", OP.remainder, a, b, s);
  return new Array(take("mlx_remainder", N.mlx_remainder(OUT, a._h, b._h, S(s))));
}
/** `a == b` as bool. @example mx.equal(tokens, eosId) */
export function equal(a: Operand, b: Operand, s?: Stream): Array {
  if (typeof a === "number" || typeof b === "number") return withScalar("equal", OP.equal, a, b, s);
  return new Array(take("mlx_equal", N.mlx_equal(OUT, a._h, b._h, S(s))));
}
/** `a != b` as bool. @example mx.notEqual(x, 0) */
export function notEqual(a: Operand, b: Operand, s?: Stream): Array {
  if (typeof a === "number" || typeof b === "number") return withScalar("notEqual", OP.notEqual, a, b, s);
  return new Array(take("mlx_not_equal", N.mlx_not_equal(OUT, a._h, b._h, S(s))));
}
/** `a > b` as bool. @example mx.greater(x, 0) */
export function greater(a: Operand, b: Operand, s?: Stream): Array {
  if (typeof a === "number" || typeof b === "number") return withScalar("greater", OP.greater, a, b, s);
  return new Array(take("mlx_greater", N.mlx_greater(OUT, a._h, b._h, S(s))));
}
/** `a >= b` as bool. @example mx.greaterEqual(x, 0) */
export function greaterEqual(a: Operand, b: Operand, s?: Stream): Array {
  if (typeof a === "number" || typeof b === "number") return withScalar("greaterEqual", OP.greaterEqual, a, b, s);
  return new Array(take("mlx_greater_equal", N.mlx_greater_equal(OUT, a._h, b._h, S(s))));
}
/** `a < b` as bool. @example mx.less(probs, minP) */
export function less(a: Operand, b: Operand, s?: Stream): Array {
  if (typeof a === "number" || typeof b === "number") return withScalar("less", OP.less, a, b, s);
  return new Array(take("mlx_less", N.mlx_less(OUT, a._h, b._h, S(s))));
}
/** `a <= b` as bool. @example mx.lessEqual(x, 1) */
export function lessEqual(a: Operand, b: Operand, s?: Stream): Array {
  if (typeof a === "number" || typeof b === "number") return withScalar("lessEqual", OP.lessEqual, a, b, s);
  return new Array(take("mlx_less_equal", N.mlx_less_equal(OUT, a._h, b._h, S(s))));
}
/** Logical and (non-zero is true). @example mx.logicalAnd(mask1, mask2) */
export function logicalAnd(a: Operand, b: Operand, s?: Stream): Array {
  if (typeof a === "number" || typeof b === "number") return withScalar("logicalAnd", OP.logicalAnd, a, b, s);
  return new Array(take("mlx_logical_and", N.mlx_logical_and(OUT, a._h, b._h, S(s))));
}
/** Logical or (non-zero is true). @example mx.logicalOr(mask1, mask2) */
export function logicalOr(a: Operand, b: Operand, s?: Stream): Array {
  if (typeof a === "number" || typeof b === "number") return withScalar("logicalOr", OP.logicalOr, a, b, s);
  return new Array(take("mlx_logical_or", N.mlx_logical_or(OUT, a._h, b._h, S(s))));
}

/**
 * `x` where `condition` is true, else `y` (broadcast together; numbers typed after the other operand).
 *
 * @example
 *   mx.where(mask, logits, -Infinity)
 */
export function where(condition: Array, x: Operand, y: Operand, s?: Stream): Array {
  if (typeof x !== "number" && typeof y !== "number") {
    return new Array(take("mlx_where", N.mlx_where(OUT, condition._h, x._h, y._h, S(s))));
  }
  using xs = typeof x === "number" ? scalarLike(x, typeof y === "number" ? null : y) : undefined;
  using ys = typeof y === "number" ? scalarLike(y, typeof x === "number" ? xs! : x) : undefined;
  const xh = xs ? xs._h : (x as Array)._h;
  const yh = ys ? ys._h : (y as Array)._h;
  return new Array(take("mlx_where", N.mlx_where(OUT, condition._h, xh, yh, S(s))));
}
