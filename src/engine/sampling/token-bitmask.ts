/**
 * Grammar masks on the device. A grammar engine hands, per row, an int32 bitmask of ceil(V/32) words (bit j of
 * word w allows token 32w + j, as xgrammar and vLLM lay it out); one native call uploads it and sets the logits
 * of the tokens it does not allow to -inf, in float32, the sampler's dtype (the bit test, conversion and select
 * are one compiled kernel on GPU backends, and the sampler's own conversion is then none: src/mlx/compiled.ts,
 * ffi/src/token_bitmask.cpp).
 */
import * as mx from "../../mlx/index.ts";

/** Words per row of a bitmask over `V` tokens. */
export function bitmaskWords(V: number): number {
  return Math.ceil(V / 32);
}

/**
 * The logits as float32, those of tokens whose bit is 0 set to -inf. `bitmask` holds B rows of
 * {@link bitmaskWords}(V) words; a row of all ones (-1) leaves its logits as they are. The bitmask is copied before
 * the call returns (its buffer may be reused). Lazy: nothing runs until the result is evaluated.
 *
 * @example
 *   const masked = applyTokenBitmask(logits, new Int32Array([0b101, 0])); // V = 40: only tokens 0 and 2 stay
 */
export function applyTokenBitmask(logits: mx.Array, bitmask: Int32Array): mx.Array {
  return mx.applyTokenBitmask(logits, bitmask, "float32");
}
