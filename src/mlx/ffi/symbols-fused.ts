/**
 * Symbols of ffi/src/fused*.cpp: fused per-layer helpers over native projection and attention objects.
 * Optionals travel as `u64`.
 */
import { fn } from "./signature.ts";

export const FUSED_SYMBOLS = {
  vmlx_projection_new: fn(["ptr", "ptr", "ptr", "ptr", "i32", "i32"], "ptr"),
  vmlx_projection_free: fn(["ptr"], "i32"),
  vmlx_linear: fn(["ptr", "ptr", "ptr", "ptr"], "i32"),
  vmlx_gated_mlp: fn(["ptr", "ptr", "ptr", "ptr", "i32", "ptr", "ptr"], "i32"),
  vmlx_residual_mlp: fn(
    ["ptr", "ptr", "ptr", "ptr", "i32", "ptr", "ptr", "ptr", "f32", "ptr", "f32", "ptr", "f32", "ptr"],
    "i32",
  ),
  vmlx_attention_new: fn(
    ["ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "f32", "i32", "i32", "i32", "i32", "bool", "u64", "f32", "ptr", "f64"],
    "ptr",
  ),
  vmlx_attention_free: fn(["ptr"], "i32"),
  vmlx_attention_qkv: fn(["ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "f32", "i32", "ptr", "ptr"], "i32"),
  vmlx_attention_out: fn(["ptr", "ptr", "ptr", "ptr"], "i32"),
  vmlx_paged_attention_block: fn(
    ["ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "f32", "i32", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "i32", "f32",
      "u64", "bool", "ptr", "i32", "ptr"],
    "i32",
  ),
} as const;
