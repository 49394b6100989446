/**
 * Symbols of ffi/src/qmm.cpp and ffi/src/attention_cpu.cpp: vmlx's CPU kernels for quantized matmul and attention.
 * Optionals travel as `u64`, strings as `ptr`.
 */
import { fn } from "./signature.ts";

export const QMM_SYMBOLS = {
  vmlx_quantized_matmul: fn(["ptr", "ptr", "ptr", "ptr", "ptr", "bool", "u64", "u64", "ptr", "ptr", "ptr"], "i32"),
  vmlx_qmm_cpu_isa: fn([], "cstring"),
  vmlx_qmm_cpu_set_isa: fn(["ptr"], "i32"),
  vmlx_scaled_dot_product_attention: fn(["ptr", "ptr", "ptr", "ptr", "f32", "ptr", "ptr", "ptr", "ptr", "ptr"], "i32"),
} as const;
