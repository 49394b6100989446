/**
 * Symbols of ffi/src/ops_nn*.cpp and ffi/src/compiled*.cpp. mlx-c's 8-byte optionals
 * (`mlx_optional_int`, `mlx_optional_float`, `mlx_optional_dtype`) travel as `u64`; strings as `ptr`.
 */
import { BINARY, fn, UNARY } from "./signature.ts";

export const NN_SYMBOLS = {
  mlx_matmul: BINARY,
  mlx_addmm: fn(["ptr", "ptr", "ptr", "ptr", "f32", "f32", "ptr"], "i32"),
  mlx_gather_mm: fn(["ptr", "ptr", "ptr", "ptr", "ptr", "bool", "ptr"], "i32"),
  mlx_quantize: fn(["ptr", "ptr", "u64", "u64", "ptr", "ptr", "ptr"], "i32"),
  mlx_dequantize: fn(["ptr", "ptr", "ptr", "ptr", "u64", "u64", "ptr", "ptr", "u64", "ptr"], "i32"),
  mlx_quantized_matmul: fn(["ptr", "ptr", "ptr", "ptr", "ptr", "bool", "u64", "u64", "ptr", "ptr"], "i32"),
  mlx_gather_qmm: fn(
    ["ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "bool", "u64", "u64", "ptr", "bool", "ptr"],
    "i32",
  ),

  mlx_fast_rms_norm: fn(["ptr", "ptr", "ptr", "f32", "ptr"], "i32"),
  mlx_fast_layer_norm: fn(["ptr", "ptr", "ptr", "ptr", "f32", "ptr"], "i32"),
  mlx_fast_rope: fn(["ptr", "ptr", "i32", "bool", "u64", "f32", "i32", "ptr", "ptr"], "i32"),
  mlx_fast_rope_dynamic: fn(["ptr", "ptr", "i32", "bool", "u64", "f32", "ptr", "ptr", "ptr"], "i32"),
  mlx_fast_scaled_dot_product_attention: fn(["ptr", "ptr", "ptr", "ptr", "f32", "ptr", "ptr", "ptr", "ptr"], "i32"),

  vmlx_swiglu: BINARY,
  vmlx_gelu_approx: UNARY,
  vmlx_apply_token_bitmask: fn(["ptr", "ptr", "ptr", "i32", "i32", "i32", "ptr"], "i32"),
  mlx_enable_compile: fn([], "i32"),
  mlx_disable_compile: fn([], "i32"),
} as const;
