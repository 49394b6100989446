/** Elementwise, reduction, shape, creation, sorting and random ops. Every op takes an optional stream last. */
import { Array } from "../array.ts";
import { N, OUT, take } from "../ffi/call.ts";
import { type Stream, streamHandle as S } from "../stream.ts";

export function add(a: Array, b: Array, s?: Stream): Array {
  return new Array(take("mlx_add", N.mlx_add(OUT, a._h, b._h, S(s))));
}
