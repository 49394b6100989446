/** Symbols of ffi/src/ops_core*.cpp. */
import { BINARY } from "./signature.ts";

export const CORE_SYMBOLS = {
  mlx_add: BINARY,
} as const;
