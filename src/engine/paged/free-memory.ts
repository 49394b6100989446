/**
 * How much memory the KV pool may still take (the OS's view and MLX's headroom under its memory limit), and
 * the default limit of MLX's buffer cache. Pure over what it is given of MLX, so `doctor` (which loads MLX on its
 * own) reports the same figures `serve` uses.
 */
import { availableMemoryBytes } from "../../hardware/available.ts";

/** What these figures read from MLX: the array API module, or the CLI's loaded copy of it. */
export interface MlxMemory {
  getMemoryLimit(): number;
  getActiveMemory(): number;
  gpuAvailable(): boolean;
}

/** Share of MLX's memory limit its buffer cache may keep, and its cap where that memory is the user's RAM. */
const CACHE_LIMIT_SHARE = 0.1;
const UNIFIED_CACHE_LIMIT = 2 ** 30;

/** Whether MLX's arrays live in the user's RAM (CPU backend, or Apple's unified memory). */
export function unifiedMemory(mlx: MlxMemory): boolean {
  return !mlx.gpuAvailable() || process.platform === "darwin";
}

/**
 * Bytes free for the KV pool now. On a discrete GPU: MLX's memory limit minus its active memory. Where arrays
 * live in RAM: the smaller of that and the OS's available memory (other programs count too).
 *
 * @example
 *   const budget = 0.5 * freeMemoryForKv(mx);
 */
export function freeMemoryForKv(mlx: MlxMemory): number {
  const headroom = Math.max(0, mlx.getMemoryLimit() - mlx.getActiveMemory());
  if (!unifiedMemory(mlx)) return headroom;
  const available = availableMemoryBytes();
  return available === null ? headroom : Math.min(available, headroom);
}

/**
 * MLX's buffer cache limit when none is given: 10% of its memory limit, at most 1 GiB on unified memory. Its own
 * default (the whole memory limit) lets changing batch shapes grow the cache until the device runs out (seen on
 * the H100 under mixed concurrency), and on unified memory that cache is the user's RAM.
 */
export function defaultMlxCacheLimit(mlx: MlxMemory): number {
  const limit = Math.floor(mlx.getMemoryLimit() * CACHE_LIMIT_SHARE);
  return unifiedMemory(mlx) ? Math.min(limit, UNIFIED_CACHE_LIMIT) : limit;
}
