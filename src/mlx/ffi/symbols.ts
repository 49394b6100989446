/**
 * The C symbols of libvmlx, as bun:ffi declarations. Handles (`{void* ctx}` structs) travel as `ptr`;
 * mlx-c's 8-byte optionals as `u64`. Every fallible symbol returns an `i32` status or a handle that may be null.
 * Grouped by the ffi/src file that defines them.
 */
import { FFIType, type FFIFunction } from "bun:ffi";
import { fn } from "./signature.ts";
import { CORE_SYMBOLS } from "./symbols-core.ts";
import { FUSED_SYMBOLS } from "./symbols-fused.ts";
import { IO_SYMBOLS } from "./symbols-io.ts";
import { MEMORY_SYMBOLS } from "./symbols-memory.ts";
import { NN_SYMBOLS } from "./symbols-nn.ts";
import { PAGED_SYMBOLS } from "./symbols-paged.ts";
import { QMM_SYMBOLS } from "./symbols-qmm.ts";

export const SYMBOLS = {
  // array.cpp
  vmlx_last_error: fn([], "cstring"),
  vmlx_clear_error: fn([], "void"),
  vmlx_mlx_version: fn([], "cstring"),
  vmlx_backend: fn([], "cstring"),
  vmlx_live_arrays: fn([], FFIType.i64_fast),
  vmlx_alloc: fn(["u64"], "ptr"),
  vmlx_free: fn(["ptr"], "void"),
  mlx_array_free: fn(["ptr"], "i32"),
  mlx_array_new_data: fn(["ptr", "ptr", "i32", "i32"], "ptr"),
  mlx_array_new_float: fn(["f32"], "ptr"),
  mlx_array_new_int: fn(["i32"], "ptr"),
  mlx_array_new_bool: fn(["bool"], "ptr"),
  mlx_array_ndim: fn(["ptr"], FFIType.u64_fast),
  mlx_array_shape: fn(["ptr"], "ptr"),
  vmlx_array_dims: fn(["ptr", "ptr", "i32"], "i32"),
  mlx_array_size: fn(["ptr"], FFIType.u64_fast),
  mlx_array_nbytes: fn(["ptr"], FFIType.u64_fast),
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
  vmlx_graph_primitives_json: fn(["ptr", "ptr", "u64"], "i32"),

  ...CORE_SYMBOLS,
  ...NN_SYMBOLS,
  ...IO_SYMBOLS,
  ...MEMORY_SYMBOLS,
  ...PAGED_SYMBOLS,
  ...QMM_SYMBOLS,
  ...FUSED_SYMBOLS,
} as const satisfies Record<string, FFIFunction>;

export type NativeSymbols = typeof SYMBOLS;

