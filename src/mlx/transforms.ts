/** Evaluation. */
import type { Array } from "./array.ts";
import { check, N } from "./ffi/call.ts";
import { handlesArg } from "./ops/core-args.ts";

/** Evaluates the arrays' graphs and waits for them. */
export function evaluate(...arrays: Array[]): void {
  if (arrays.length === 0) return;
  check("mlx_eval", N.vmlx_eval_n(handlesArg(arrays), arrays.length));
}

/** Queues the arrays' graphs for evaluation and returns at once. */
export function asyncEval(...arrays: Array[]): void {
  if (arrays.length === 0) return;
  check("mlx_async_eval", N.vmlx_async_eval_n(handlesArg(arrays), arrays.length));
}
