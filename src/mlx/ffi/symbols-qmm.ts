/** Symbols of ffi/src/qmm.cpp: quantized matmul with the CPU kernel. Optionals travel as `u64`, strings as `ptr`. */
import { fn } from "./signature.ts";

export const QMM_SYMBOLS = {
  vmlx_quantized_matmul: fn(["ptr", "ptr", "ptr", "ptr", "ptr", "bool", "u64", "u64", "ptr", "ptr", "ptr"], "i32"),
  vmlx_qmm_cpu_isa: fn([], "cstring"),
  vmlx_qmm_cpu_set_isa: fn(["ptr"], "i32"),
} as const;
