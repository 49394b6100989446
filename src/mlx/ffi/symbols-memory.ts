/** Symbols of ffi/src/memory.cpp. */
import { fn } from "./signature.ts";

const GET = fn(["ptr"], "i32");
const SET = fn(["ptr", "u64"], "i32");
const ACTION = fn([], "i32");

export const MEMORY_SYMBOLS = {
  mlx_get_active_memory: GET,
  mlx_get_peak_memory: GET,
  mlx_get_cache_memory: GET,
  mlx_get_memory_limit: GET,
  mlx_reset_peak_memory: ACTION,
  mlx_set_cache_limit: SET,
  mlx_set_memory_limit: SET,
  mlx_set_wired_limit: SET,
  mlx_clear_cache: ACTION,
  vmlx_device_info_json: fn(["ptr", "i32", "i32"], "i32"),
} as const;
