/** Matmul, quantization, gather, fast.* and compiled kernels. Every op takes an optional stream last. */
import { Array } from "../array.ts";
import { N, OUT, take } from "../ffi/call.ts";
import { type Stream, streamHandle as S } from "../stream.ts";

export function matmul(a: Array, b: Array, s?: Stream): Array {
  return new Array(take("mlx_matmul", N.mlx_matmul(OUT, a._h, b._h, S(s))));
}
