/**
 * The C library's environment, which MLX reads (`getenv`) for its backend switches. Bun's `process.env` is a copy:
 * a write to it never reaches `getenv`, so a setting meant for MLX goes through `setenv` here, before MLX's first
 * use of the device reads it.
 *
 * @example
 *   setNativeEnv("MLX_USE_CUDA_GRAPHS", "0"); // getNativeEnv("MLX_USE_CUDA_GRAPHS") === "0"
 */
import { CString, dlopen, FFIType } from "bun:ffi";

const LIBC = process.platform === "darwin" ? "/usr/lib/libSystem.B.dylib" : "libc.so.6";

let libc: ReturnType<typeof openLibc> | undefined;
function openLibc() {
  return dlopen(LIBC, {
    setenv: { args: [FFIType.cstring, FFIType.cstring, FFIType.i32], returns: FFIType.i32 },
    getenv: { args: [FFIType.cstring], returns: FFIType.ptr },
  }).symbols;
}

function cstr(s: string): Buffer {
  return Buffer.from(`${s}\0`, "utf8");
}

/** Sets `name` in the C environment (and in `process.env`, so both agree); false where the C library refused. */
export function setNativeEnv(name: string, value: string): boolean {
  libc ??= openLibc();
  process.env[name] = value;
  return libc.setenv(cstr(name), cstr(value), 1) === 0;
}

/** `name` as the C library sees it, or undefined. */
export function getNativeEnv(name: string): string | undefined {
  libc ??= openLibc();
  const p = libc.getenv(cstr(name));
  return p ? new CString(p).toString() : undefined;
}

/**
 * MLX settings that serve this project's workload better than MLX's defaults, by backend. Each applies only where
 * neither environment names it, so a user's own setting wins. Measured in bench/RESULTS.md.
 */
export const BACKEND_DEFAULTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  cuda: {},
};

/** Applies `defaults[backend]`; returns the names it set. */
export function applyBackendDefaults(backend: string, defaults = BACKEND_DEFAULTS): string[] {
  const set: string[] = [];
  for (const [name, value] of Object.entries(defaults[backend] ?? {})) {
    if (process.env[name] !== undefined || getNativeEnv(name) !== undefined) continue;
    if (setNativeEnv(name, value)) set.push(name);
  }
  return set;
}
