/**
 * Memory stats and limits of MLX's allocator, and device info. Sizes are in bytes.
 *
 * @example
 *   const before = mx.getActiveMemory();
 *   const previous = mx.setCacheLimit(512 * 2 ** 20);
 *   mx.clearCache();
 */
import { CString, ptr, read, type Pointer } from "bun:ffi";
import { MlxError } from "./errors.ts";
import { check, N, pin } from "./ffi/call.ts";
import { gpuAvailable } from "./stream.ts";

const slotMem = pin(8);
const slot = new BigUint64Array(slotMem.buffer);
const SLOT: Pointer = slotMem.ptr;

function getSize(op: string, status: number): number {
  check(op, status);
  return Number(slot[0]);
}

function toSize(op: string, bytes: number): bigint {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new MlxError(op, `limit must be a whole number of bytes >= 0, got ${bytes}`);
  return BigInt(bytes);
}

/** Bytes held by live arrays (not counting the allocator's cache). */
export function getActiveMemory(): number {
  return getSize("mlx_get_active_memory", N.mlx_get_active_memory(SLOT));
}

/** The most active memory seen since start-up or the last `resetPeakMemory()`. */
export function getPeakMemory(): number {
  return getSize("mlx_get_peak_memory", N.mlx_get_peak_memory(SLOT));
}

/** Bytes freed by arrays but kept by the allocator for reuse. */
export function getCacheMemory(): number {
  return getSize("mlx_get_cache_memory", N.mlx_get_cache_memory(SLOT));
}

/** The allocator's memory limit (a guideline for graph evaluation). */
export function getMemoryLimit(): number {
  return getSize("mlx_get_memory_limit", N.mlx_get_memory_limit(SLOT));
}

export function resetPeakMemory(): void {
  check("mlx_reset_peak_memory", N.mlx_reset_peak_memory());
}

/** Frees the allocator's cache. */
export function clearCache(): void {
  check("mlx_clear_cache", N.mlx_clear_cache());
}

/** Sets how many freed bytes the allocator may keep (0 disables the cache); returns the previous limit. */
export function setCacheLimit(bytes: number): number {
  return getSize("mlx_set_cache_limit", N.mlx_set_cache_limit(SLOT, toSize("mlx_set_cache_limit", bytes)));
}

/**
 * The allocator's cache limit. MLX has no getter for it, so this sets the limit and restores it at once;
 * nothing is allocated in between, so the cache is left as it was. On the CPU backend the set waits for an
 * evaluation in flight to finish: keep the value you set rather than calling this while steps run.
 */
export function getCacheLimit(): number {
  const limit = setCacheLimit(0);
  setCacheLimit(limit);
  return limit;
}

/** Sets the memory limit for graph evaluation; returns the previous limit. */
export function setMemoryLimit(bytes: number): number {
  return getSize("mlx_set_memory_limit", N.mlx_set_memory_limit(SLOT, toSize("mlx_set_memory_limit", bytes)));
}

/** Sets the wired (resident) limit, meaningful on Metal with macOS 15+; returns the previous limit. */
export function setWiredLimit(bytes: number): number {
  return getSize("mlx_set_wired_limit", N.mlx_set_wired_limit(SLOT, toSize("mlx_set_wired_limit", bytes)));
}

/**
 * MLX's description of a device. Keys vary by backend: `device_name`, `architecture`, `memory_size` or
 * `total_memory`, and on Metal `max_buffer_length` and `max_recommended_working_set_size`.
 */
export type DeviceInfo = Record<string, string | number>;

/**
 * MLX's device_info for the GPU where one is available, else the CPU.
 *
 * @example
 *   mx.deviceInfo(); // on Linux CPU: { device_name: "Intel(R) Xeon(R) ...", architecture: "x86_64" }
 */
export function deviceInfo(device: "cpu" | "gpu" = gpuAvailable() ? "gpu" : "cpu", index = 0): DeviceInfo {
  check("vmlx_device_info_json", N.vmlx_device_info_json(SLOT, device === "gpu" ? 1 : 0, index));
  const text = new CString(read.ptr(SLOT, 0) as Pointer).toString();
  return JSON.parse(text) as DeviceInfo;
}
