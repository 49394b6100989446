/** Array operations (mlx-c names, camelCase). Every op takes an optional stream last. */
import { Array } from "./array.ts";
import { N, OUT, take } from "./ffi/call.ts";
import { defaultStream, type Stream } from "./stream.ts";

const S = (s?: Stream) => (s ?? defaultStream())._h;

export function add(a: Array, b: Array, s?: Stream): Array {
  return new Array(take("mlx_add", N.mlx_add(OUT, a._h, b._h, S(s))));
}

export function matmul(a: Array, b: Array, s?: Stream): Array {
  return new Array(take("mlx_matmul", N.mlx_matmul(OUT, a._h, b._h, S(s))));
}
