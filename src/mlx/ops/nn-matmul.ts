/** Matrix products: plain, fused add, and gathered (mixture-of-experts). */
import { Array } from "../array.ts";
import { N, OUT, take } from "../ffi/call.ts";
import { type Stream, streamHandle as S } from "../stream.ts";
import { optHandle } from "./nn-args.ts";

/**
 * Matrix product with NumPy broadcasting of batch dimensions.
 *
 * @example
 *   mx.matmul(mx.array([[1, 2]]), mx.array([[3], [4]])).toList(); // [11]
 */
export function matmul(a: Array, b: Array, s?: Stream): Array {
  return new Array(take("mlx_matmul", N.mlx_matmul(OUT, a._h, b._h, S(s))));
}

/**
 * `beta * c + alpha * (a @ b)` in one op.
 *
 * @example
 *   mx.addmm(bias, x, w, 1, 1) // x @ w + bias
 */
export function addmm(c: Array, a: Array, b: Array, alpha = 1, beta = 1, s?: Stream): Array {
  return new Array(take("mlx_addmm", N.mlx_addmm(OUT, c._h, a._h, b._h, alpha, beta, S(s))));
}

export interface GatherOptions {
  /** Indices into the batch dimensions of the left operand. */
  lhsIndices?: Array | null;
  /** Indices into the batch dimensions of the right operand (the experts). */
  rhsIndices?: Array | null;
  /** Set when `rhsIndices` is sorted ascending: enables the faster segmented kernel. */
  sortedIndices?: boolean;
}

/**
 * Matmul where each output picks its operand matrices by index: `a[lhs[i]] @ b[rhs[i]]`.
 *
 * @example
 *   mx.gatherMm(x, experts, { rhsIndices: expertIds }) // x: [T, 1, D], experts: [E, D, F] -> [T, 1, F]
 */
export function gatherMm(a: Array, b: Array, opts: GatherOptions = {}, s?: Stream): Array {
  const st = N.mlx_gather_mm(OUT, a._h, b._h, optHandle(opts.lhsIndices), optHandle(opts.rhsIndices),
    opts.sortedIndices ?? false, S(s));
  return new Array(take("mlx_gather_mm", st));
}
