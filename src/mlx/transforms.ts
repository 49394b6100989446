/** Evaluation. */
import { ptr } from "bun:ffi";
import type { Array } from "./array.ts";
import { check, N } from "./ffi/call.ts";

function handles(arrays: readonly Array[]): BigUint64Array {
  const hs = new BigUint64Array(arrays.length);
  for (let i = 0; i < arrays.length; i++) hs[i] = BigInt(arrays[i]!._h);
  return hs;
}

/** Evaluates the arrays' graphs and waits for them. */
export function evaluate(...arrays: Array[]): void {
  if (arrays.length === 0) return;
  const hs = handles(arrays);
  check("mlx_eval", N.vmlx_eval_n(ptr(hs), arrays.length));
}

/** Queues the arrays' graphs for evaluation and returns at once. */
export function asyncEval(...arrays: Array[]): void {
  if (arrays.length === 0) return;
  const hs = handles(arrays);
  check("mlx_async_eval", N.vmlx_async_eval_n(ptr(hs), arrays.length));
}
