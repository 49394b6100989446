/** Evaluation. */
import { CString, read, type Pointer } from "bun:ffi";
import type { Array } from "./array.ts";
import { check, N, pin } from "./ffi/call.ts";
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

const slotMem = pin(8);
const SLOT: Pointer = slotMem.ptr;

/**
 * The primitives the arrays' unevaluated graph holds, each counted once, by MLX's name for it (what an evaluation
 * of them would run: a diagnostic for the host cost of a step).
 *
 * @example
 *   mx.graphPrimitives(logits); // { QuantizedMatmul: 225, RMSNorm: 65, Add: 64, ... }
 */
export function graphPrimitives(...arrays: Array[]): Record<string, number> {
  if (arrays.length === 0) return {};
  check("vmlx_graph_primitives_json", N.vmlx_graph_primitives_json(SLOT, handlesArg(arrays), arrays.length));
  return JSON.parse(new CString(read.ptr(SLOT, 0) as Pointer).toString()) as Record<string, number>;
}
