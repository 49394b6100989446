/** Symbols of ffi/src/ops_nn*.cpp. */
import { BINARY } from "./signature.ts";

export const NN_SYMBOLS = {
  mlx_matmul: BINARY,
} as const;
