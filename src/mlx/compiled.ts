/**
 * Elementwise chains fused once with `mx::compile` in libvmlx (shapeless: one trace for every shape).
 * On GPU backends the fused form is one kernel and one output buffer instead of several; on MLX's CPU
 * backend it runs at the same speed as the plain ops (the work is compute-bound) and needs `g++` at run time
 * to JIT the kernel, falling back to the plain graph when no compiler is found.
 */
import { Array } from "./array.ts";
import type { Dtype } from "./dtype.ts";
import { check, N, OUT, take } from "./ffi/call.ts";
import { dtypeCode } from "./ops/core-args.ts";
import { type Stream, streamHandle as S } from "./stream.ts";

/**
 * `silu(gate) * up`, the SwiGLU MLP activation (Llama, Qwen, Mistral).
 *
 * @example
 *   const h = mx.swiglu(gateProj, upProj);
 */
export function swiglu(gate: Array, up: Array, s?: Stream): Array {
  return new Array(take("vmlx_swiglu", N.vmlx_swiglu(OUT, gate._h, up._h, S(s))));
}

/**
 * GELU with the tanh approximation: `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`.
 *
 * @example
 *   mx.geluApprox(x)
 */
export function geluApprox(x: Array, s?: Stream): Array {
  return new Array(take("vmlx_gelu_approx", N.vmlx_gelu_approx(OUT, x._h, S(s))));
}

/**
 * A grammar's token bitmask applied to logits `[B, V]`: tokens whose bit is 0 become -inf, in `dtype` (the logits'
 * own by default; a floating dtype). `bitmask` holds B rows of ceil(V/32) int32 words, bit j of word w allowing
 * token 32w + j (xgrammar's and vLLM's layout); it is copied before the call returns, so the caller may reuse its
 * buffer. One native call; the bit test, conversion and select are one compiled kernel on GPU backends.
 *
 * @example
 *   const masked = mx.applyTokenBitmask(logits, new Int32Array([0b101, 0])); // V = 40: only tokens 0 and 2 stay
 */
export function applyTokenBitmask(logits: Array, bitmask: Int32Array, dtype: Dtype = logits.dtype, s?: Stream): Array {
  const [B, V] = logits.shape as [number, number];
  const words = Math.ceil(V / 32);
  if (logits.shape.length !== 2 || bitmask.length !== B * words) {
    throw new RangeError(`bitmask has ${bitmask.length} words; ${B} rows of ${words} expected for logits [${logits.shape.join(", ")}]`);
  }
  return new Array(take("vmlx_apply_token_bitmask",
    N.vmlx_apply_token_bitmask(OUT, logits._h, bitmask, B, words, dtypeCode(dtype), S(s))));
}

/**
 * Turns graph compilation on or off process-wide (on by default). With it off, the fused functions above
 * run as their plain op graphs: useful to compare results and timings.
 *
 * @example
 *   mx.setCompileEnabled(false)
 */
export function setCompileEnabled(enabled: boolean): void {
  if (enabled) check("mlx_enable_compile", N.mlx_enable_compile());
  else check("mlx_disable_compile", N.mlx_disable_compile());
}
