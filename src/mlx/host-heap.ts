/**
 * Gives the C heap's free pages back to the system. MLX's CPU buffers come from malloc: after `clearCache()` frees
 * them, glibc keeps the pages in its arenas (resident) until asked to trim, so an idle server would stay at its busy
 * size. Linux (glibc): `malloc_trim(0)`; macOS: `malloc_zone_pressure_relief(NULL, 0)` over every zone.
 *
 * @example
 *   mx.clearCache();
 *   trimHostHeap(); // true where the C library has a trim call
 */
import { dlopen, FFIType } from "bun:ffi";

type Trim = () => void;
let trim: Trim | null | undefined;

function openTrim(): Trim | null {
  try {
    if (process.platform === "linux") {
      const lib = dlopen("libc.so.6", { malloc_trim: { args: [FFIType.u64], returns: FFIType.i32 } });
      return () => void lib.symbols.malloc_trim(0n);
    }
    if (process.platform === "darwin") {
      const lib = dlopen("/usr/lib/libSystem.B.dylib", {
        malloc_zone_pressure_relief: { args: [FFIType.ptr, FFIType.u64], returns: FFIType.u64 },
      });
      return () => void lib.symbols.malloc_zone_pressure_relief(null, 0n);
    }
  } catch {
    // A C library without the call (musl, say): nothing to trim with.
  }
  return null;
}

/** Trims the C heap; false where the platform's C library has no trim call. */
export function trimHostHeap(): boolean {
  if (trim === undefined) trim = openTrim();
  if (!trim) return false;
  trim();
  return true;
}
