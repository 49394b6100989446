/** Peak memory bandwidth of known chips and GPUs, from their vendors' specifications (GB/s). */

export interface Bandwidth {
  gbPerSecond: number;
  /** True where the name alone does not pin the figure (binned chips) and it was inferred. */
  approximate: boolean;
}

interface AppleChip {
  /** Bandwidth by CPU core count for binned chips; `default` otherwise (or when the count is unknown). */
  byCpuCores?: Record<number, number>;
  default: number;
}

const APPLE_CHIPS: Record<string, AppleChip> = {
  "M1": { default: 68 },
  "M1 Pro": { default: 200 },
  "M1 Max": { default: 400 },
  "M1 Ultra": { default: 800 },
  "M2": { default: 100 },
  "M2 Pro": { default: 200 },
  "M2 Max": { default: 400 },
  "M2 Ultra": { default: 800 },
  "M3": { default: 100 },
  "M3 Pro": { default: 150 },
  // 14-core CPU / 30-core GPU bin: 300; 16-core CPU / 40-core GPU: 400.
  "M3 Max": { byCpuCores: { 14: 300, 16: 400 }, default: 300 },
  "M3 Ultra": { default: 819 },
  "M4": { default: 120 },
  "M4 Pro": { default: 273 },
  // 14-core CPU / 32-core GPU bin: 410; 16-core CPU / 40-core GPU: 546.
  "M4 Max": { byCpuCores: { 14: 410, 16: 546 }, default: 410 },
  "M5": { default: 153 },
};

/**
 * Bandwidth of an Apple chip by its marketing name ("M4 Max"); binned chips are told apart by CPU cores.
 *
 * @example
 *   appleChipBandwidth("M4 Max", 16); // { gbPerSecond: 546, approximate: true }
 */
export function appleChipBandwidth(chip: string, cpuCores?: number): Bandwidth | null {
  const entry = APPLE_CHIPS[chip];
  if (!entry) return null;
  if (!entry.byCpuCores) return { gbPerSecond: entry.default, approximate: false };
  const byCores = cpuCores === undefined ? undefined : entry.byCpuCores[cpuCores];
  return { gbPerSecond: byCores ?? entry.default, approximate: true };
}

// Matched in order against the upper-cased nvidia-smi name: specific variants first.
const NVIDIA_GPUS: [pattern: RegExp, gbPerSecond: number][] = [
  [/H200/, 4800],
  [/H100.*NVL/, 3900],
  [/H100.*PCIE/, 2000],
  [/H100/, 3350],
  [/A100.*80GB.*PCIE/, 1935],
  [/A100.*80GB/, 2039],
  [/A100/, 1555],
  [/L40S/, 864],
  [/RTX 4090/, 1008],
];

/**
 * Bandwidth of an NVIDIA GPU by the name nvidia-smi reports.
 *
 * @example
 *   nvidiaGpuBandwidth("NVIDIA H100 80GB HBM3"); // { gbPerSecond: 3350, approximate: false }
 */
export function nvidiaGpuBandwidth(name: string): Bandwidth | null {
  const upper = name.toUpperCase();
  for (const [pattern, gbPerSecond] of NVIDIA_GPUS) {
    if (pattern.test(upper)) return { gbPerSecond, approximate: false };
  }
  return null;
}
