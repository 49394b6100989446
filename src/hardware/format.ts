/** Human-readable lines for a HardwareInfo. */
import type { Bandwidth } from "./bandwidth.ts";
import type { HardwareInfo } from "./detect.ts";

/** Bytes as GB (base 1024, like macOS "About This Mac"), e.g. "128 GB" or "15.6 GB". */
export function formatGigabytes(bytes: number): string {
  const gb = bytes / 2 ** 30;
  return `${Number.isInteger(Math.round(gb * 10) / 10) ? Math.round(gb) : gb.toFixed(1)} GB`;
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
