/**
 * Hardware detection (no native library involved).
 *
 * @example
 *   import { describeHardware, detectHardware } from "../hardware/index.ts";
 *   for (const [label, value] of describeHardware(detectHardware())) console.log(`${label}: ${value}`);
 */
export { appleChipBandwidth, type Bandwidth, nvidiaGpuBandwidth } from "./bandwidth.ts";
export { detectHardware, type GpuInfo, type HardwareInfo, type SystemProbe, systemProbe } from "./detect.ts";
export { describeHardware, formatBandwidth, formatBytes, formatGigabytes } from "./format.ts";
export { availableMemoryBytes, parseMeminfoAvailable, parseVmStatAvailable } from "./available.ts";
