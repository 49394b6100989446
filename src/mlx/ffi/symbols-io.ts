/** Symbols of ffi/src/io*.cpp, and the vector-of-arrays calls that IO and quantization results travel in. */
import { FFIType } from "bun:ffi";
import { fn } from "./signature.ts";

export const IO_SYMBOLS = {
  mlx_vector_array_new_data: fn(["ptr", "u64"], "ptr"),

  vmlx_buffer_data: fn(["ptr"], "ptr"),
  vmlx_buffer_size: fn(["ptr"], FFIType.u64_fast),
  vmlx_buffer_free: fn(["ptr"], "i32"),
  vmlx_load_safetensors: fn(["ptr", "ptr", "ptr", "ptr", "ptr"], "i32"),
  vmlx_save_safetensors: fn(["ptr", "ptr", "ptr", "ptr", "u64"], "i32"),
  vmlx_load_gguf: fn(["ptr", "ptr", "ptr", "ptr", "ptr"], "i32"),
  vmlx_save_gguf: fn(["ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "u64"], "i32"),
} as const;
