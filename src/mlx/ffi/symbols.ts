/**
 * The C symbols of libvmlx, as bun:ffi declarations. Handles (`{void* ctx}` structs) travel as `ptr`;
 * mlx-c's 8-byte optionals as `u64`. Every fallible symbol returns an `i32` status or a handle that may be null.
 * Grouped by the ffi/src file that defines them.
 */
import type { FFIFunction, FFITypeOrString } from "bun:ffi";

const fn = <const A extends readonly FFITypeOrString[], const R extends FFITypeOrString>(args: A, returns: R) => ({
  args,
  returns,
});
// Signature shapes shared by many ops: (res*, a, s), (res*, a, b, s).
const UNARY = fn(["ptr", "ptr", "ptr"], "i32");
const BINARY = fn(["ptr", "ptr", "ptr", "ptr"], "i32");

export const SYMBOLS = {
  // array.cpp
  vmlx_last_error: fn([], "cstring"),
  vmlx_clear_error: fn([], "void"),
  vmlx_mlx_version: fn([], "cstring"),
  vmlx_backend: fn([], "cstring"),
  vmlx_live_arrays: fn([], "i64_fast"),
  mlx_array_free: fn(["ptr"], "i32"),
  mlx_array_new_data: fn(["ptr", "ptr", "i32", "i32"], "ptr"),
  mlx_array_new_float: fn(["f32"], "ptr"),
  mlx_array_new_int: fn(["i32"], "ptr"),
  mlx_array_new_bool: fn(["bool"], "ptr"),
  mlx_array_ndim: fn(["ptr"], "u64_fast"),
  mlx_array_shape: fn(["ptr"], "ptr"),
  mlx_array_size: fn(["ptr"], "u64_fast"),
  mlx_array_nbytes: fn(["ptr"], "u64_fast"),
  mlx_array_dtype: fn(["ptr"], "i32"),
  mlx_array_eval: fn(["ptr"], "i32"),
  mlx_array_item_float32: fn(["ptr", "ptr"], "i32"),
  mlx_array_item_int32: fn(["ptr", "ptr"], "i32"),
  vmlx_array_read: fn(["ptr", "ptr", "u64"], "i32"),

  // stream.cpp
  mlx_default_cpu_stream_new: fn([], "ptr"),
  mlx_default_gpu_stream_new: fn([], "ptr"),
  mlx_stream_free: fn(["ptr"], "i32"),
  mlx_synchronize: fn(["ptr"], "i32"),
  vmlx_gpu_is_available: fn(["ptr"], "i32"),
  vmlx_eval_n: fn(["ptr", "u64"], "i32"),
  vmlx_async_eval_n: fn(["ptr", "u64"], "i32"),

  // ops_arith.cpp
  mlx_add: BINARY,
  mlx_matmul: BINARY,
} as const satisfies Record<string, FFIFunction>;

export type NativeSymbols = typeof SYMBOLS;

export { UNARY, BINARY };
