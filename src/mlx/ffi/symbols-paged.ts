/** Symbols of ffi/src/paged.cpp: paged attention over block tables. Optionals travel as `u64`, strings as `ptr`. */
import { fn } from "./signature.ts";

export const PAGED_SYMBOLS = {
  vmlx_paged_attention: fn(["ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "f32", "u64", "u64", "ptr", "i32", "ptr"], "i32"),
  vmlx_paged_attention_has_kernel: fn([], "i32"),
  vmlx_order_after_write: fn(["ptr", "ptr", "ptr", "ptr"], "i32"),
  vmlx_reshape_and_cache: fn(["ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr"], "i32"),
} as const;
