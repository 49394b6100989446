/** How much memory the KV pool may still take: the OS's view and MLX's headroom under its memory limit. */
import * as mx from "../../mlx/index.ts";
import { availableMemoryBytes } from "../../hardware/available.ts";

/** Whether MLX's arrays live in the user's RAM (CPU backend, or Apple's unified memory). */
export function unifiedMemory(): boolean {
  return !mx.gpuAvailable() || process.platform === "darwin";
}

/**
 * Bytes free for the KV pool now. On a discrete GPU: MLX's memory limit minus its active memory. Where arrays
 * live in RAM: the smaller of that and the OS's available memory (other programs count too).
 *
 * @example
 *   const budget = 0.5 * freeMemoryForKv();
 */
export function freeMemoryForKv(): number {
  const headroom = Math.max(0, mx.getMemoryLimit() - mx.getActiveMemory());
  if (!unifiedMemory()) return headroom;
  const available = availableMemoryBytes();
  return available === null ? headroom : Math.min(available, headroom);
}
