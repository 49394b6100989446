/** Memory figures for benchmark reports: process peak RSS, MLX allocator, system memory. */
import { readFileSync } from "node:fs";
import { freemem, totalmem } from "node:os";

/** MLX allocator figures, in bytes (the caller reads them from `src/mlx`). */
export interface MlxMemory {
  peakBytes: number;
  cacheBytes: number;
  activeBytes: number;
}

export interface ResourceReport {
  /** The process's peak resident set: `/proc/self/status` VmHWM on Linux, `resourceUsage().maxRSS` elsewhere. */
  peakRssBytes: number;
  peakRssSource: "VmHWM" | "maxRSS";
  mlx?: MlxMemory;
  systemTotalBytes: number;
  systemFreeBytes: number;
}

/**
 * Parses VmHWM (kB) out of a `/proc/<pid>/status` text; null when absent.
 *
 * @example
 *   parseVmHwm("Name:\tbun\nVmHWM:\t  123456 kB\n"); // 126418944
 */
export function parseVmHwm(status: string): number | null {
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : null;
}

/** The process's peak RSS in bytes and where it came from. */
export function peakRss(): { bytes: number; source: "VmHWM" | "maxRSS" } {
  if (process.platform === "linux") {
    try {
      const bytes = parseVmHwm(readFileSync("/proc/self/status", "utf8"));
      if (bytes !== null) return { bytes, source: "VmHWM" };
    } catch {
      // fall through to resourceUsage
    }
  }
  return { bytes: process.resourceUsage().maxRSS * 1024, source: "maxRSS" };
}

/**
 * Collects the report; pass MLX's figures when the run used MLX in this process.
 *
 * @example
 *   const report = resourceReport({ peakBytes: mx.getPeakMemory(), cacheBytes: mx.getCacheMemory(),
 *                                   activeBytes: mx.getActiveMemory() });
 */
export function resourceReport(mlx?: MlxMemory): ResourceReport {
  const rss = peakRss();
  return {
    peakRssBytes: rss.bytes,
    peakRssSource: rss.source,
    ...(mlx ? { mlx } : {}),
    systemTotalBytes: totalmem(),
    systemFreeBytes: freemem(),
  };
}
