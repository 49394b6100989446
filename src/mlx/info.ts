/** Facts about the loaded native library. */
import { libraryPath } from "./ffi/library.ts";
import { N } from "./ffi/call.ts";

export interface NativeInfo {
  mlxVersion: string;
  backend: string;
  libraryPath: string;
  liveArrays: number;
}

export function info(): NativeInfo {
  return {
    mlxVersion: String(N.vmlx_mlx_version()),
    backend: String(N.vmlx_backend()),
    libraryPath: libraryPath(),
    liveArrays: Number(N.vmlx_live_arrays()),
  };
}
