/** Human-readable lines for a HardwareInfo. */
import type { Bandwidth } from "./bandwidth.ts";
import type { HardwareInfo } from "./detect.ts";

/** Bytes as GB (base 1024, like macOS "About This Mac"), e.g. "128 GB" or "15.6 GB". */
export function formatGigabytes(bytes: number): string {
  const gb = bytes / 2 ** 30;
  return `${Number.isInteger(Math.round(gb * 10) / 10) ? Math.round(gb) : gb.toFixed(1)} GB`;
}

/**
 * Bytes with a binary unit, e.g. "0 B", "16 B", "1.0 MiB", "32.0 MiB", "18.8 GiB".
 *
 * @example
 *   formatBytes(33554432); // "32.0 MiB"
 */
export function formatBytes(bytes: number): string {
  const units = ["KiB", "MiB", "GiB", "TiB"];
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes;
  let unit = "B";
  for (const u of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = u;
  }
  return `${value.toFixed(1)} ${unit}`;
}

export function formatBandwidth(b: Bandwidth | null): string {
  if (!b) return "unknown";
  return `${b.approximate ? "~" : ""}${b.gbPerSecond} GB/s${b.approximate ? " (binned chip, approximate)" : ""}`;
}

/**
 * `[label, value]` rows describing the hardware.
 *
 * @example
 *   describeHardware(detectHardware()); // [["chip", "M4 Max"], ["cpu cores", "16 (12P + 4E)"], ...]
 */
export function describeHardware(hw: HardwareInfo): [string, string][] {
  const rows: [string, string][] = [];
  rows.push([hw.chip ? "chip" : "cpu", hw.chip ?? hw.cpuName]);
  const split = hw.performanceCores !== null ? ` (${hw.performanceCores}P + ${hw.efficiencyCores ?? 0}E)` : "";
  rows.push(["cpu cores", `${hw.cpuCores}${split}`]);
  if (hw.gpuCores !== null) rows.push(["gpu cores", String(hw.gpuCores)]);
  rows.push(["memory", formatGigabytes(hw.totalMemoryBytes)]);
  for (const [i, gpu] of hw.gpus.entries()) {
    rows.push([`gpu ${i}`, `${gpu.name}, ${formatGigabytes(gpu.memoryBytes)}, ${formatBandwidth(gpu.bandwidth)}`]);
  }
  rows.push(["memory bandwidth", formatBandwidth(hw.memoryBandwidth)]);
  rows.push(["os", hw.os]);
  return rows;
}
