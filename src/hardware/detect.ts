/**
 * Hardware detection: chip or CPU, cores, memory, OS and memory bandwidth where known. Reads system
 * commands and files through a `SystemProbe`, so the logic runs against captured outputs in tests.
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import { appleChipBandwidth, type Bandwidth, nvidiaGpuBandwidth } from "./bandwidth.ts";
import {
  appleChipName, parseCpuinfo, parseIoregGpuCores, parseMeminfoTotal, parseNvidiaSmi, parseOsRelease, parseSysctl,
  parseSystemProfilerGpuCores,
} from "./parse.ts";

export interface GpuInfo {
  name: string;
  memoryBytes: number;
  bandwidth: Bandwidth | null;
}

export interface HardwareInfo {
  /** e.g. "macOS 15.2 (arm64)" or "Ubuntu 24.04 LTS, Linux 6.8.0 (x86_64)". */
  os: string;
  cpuName: string;
  /** Apple Silicon chip name ("M4 Max"), else null. */
  chip: string | null;
  /** Logical CPU cores. */
  cpuCores: number;
  performanceCores: number | null;
  efficiencyCores: number | null;
  /** Apple GPU cores, where known. */
  gpuCores: number | null;
  totalMemoryBytes: number;
  /** Discrete NVIDIA GPUs. */
  gpus: GpuInfo[];
  /** Bandwidth of the memory the model runs from: Apple unified memory or the first NVIDIA GPU. */
  memoryBandwidth: Bandwidth | null;
}

/** What detection may ask of the system. */
export interface SystemProbe {
  platform: NodeJS.Platform;
  arch: string;
  kernelRelease: string;
  /** Logical CPUs and total memory as the runtime sees them (fallbacks). */
  cpuCount: number;
  totalMemoryBytes: number;
  /** stdout of a command that exited 0, else null. */
  run(cmd: string[]): string | null;
  /** A file's text, else null. */
  read(path: string): string | null;
}

/** The live system. */
export function systemProbe(): SystemProbe {
  return {
    platform: process.platform,
    arch: os.arch() === "x64" ? "x86_64" : os.arch(),
    kernelRelease: os.release(),
    cpuCount: os.cpus().length,
    totalMemoryBytes: os.totalmem(),
    run(cmd) {
      if (!Bun.which(cmd[0]!)) return null;
      try {
        const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "ignore", timeout: 5000 });
        return p.exitCode === 0 ? p.stdout.toString() : null;
      } catch {
        return null;
      }
    },
    read(path) {
      try {
        return readFileSync(path, "utf8");
      } catch {
        return null;
      }
    },
  };
}

const SYSCTL_KEYS = [
  "machdep.cpu.brand_string", "hw.memsize", "hw.ncpu", "hw.perflevel0.physicalcpu", "hw.perflevel1.physicalcpu",
];

function positiveInt(value: string | undefined): number | null {
  const n = Number(value);
  return value !== undefined && Number.isInteger(n) && n > 0 ? n : null;
}

/** ioreg's AGXAccelerator "gpu-core-count", else system_profiler's display report (slower, ~1 s). */
function appleGpuCores(probe: SystemProbe): number | null {
  return parseIoregGpuCores(probe.run(["ioreg", "-rc", "AGXAccelerator", "-d", "1"]) ?? "") ??
    parseSystemProfilerGpuCores(probe.run(["system_profiler", "SPDisplaysDataType"]) ?? "");
}

function detectMac(probe: SystemProbe): HardwareInfo {
  const sysctl = parseSysctl(probe.run(["sysctl", ...SYSCTL_KEYS]) ?? "");
  const cpuName = sysctl.get("machdep.cpu.brand_string") ?? "unknown CPU";
  const chip = appleChipName(cpuName);
  const performanceCores = positiveInt(sysctl.get("hw.perflevel0.physicalcpu"));
  const efficiencyCores = positiveInt(sysctl.get("hw.perflevel1.physicalcpu"));
  const cpuCores = positiveInt(sysctl.get("hw.ncpu")) ?? probe.cpuCount;
  const physical = performanceCores !== null ? performanceCores + (efficiencyCores ?? 0) : undefined;
  const version = probe.run(["sw_vers", "-productVersion"])?.trim();
  return {
    os: `macOS ${version ?? probe.kernelRelease} (${probe.arch})`,
    cpuName,
    chip,
    cpuCores,
    performanceCores,
    efficiencyCores,
    gpuCores: chip ? appleGpuCores(probe) : null,
    totalMemoryBytes: positiveInt(sysctl.get("hw.memsize")) ?? probe.totalMemoryBytes,
    gpus: [],
    memoryBandwidth: chip ? appleChipBandwidth(chip, physical) : null,
  };
}

function detectLinux(probe: SystemProbe): HardwareInfo {
  const cpu = parseCpuinfo(probe.read("/proc/cpuinfo") ?? "");
  const distro = parseOsRelease(probe.read("/etc/os-release") ?? "");
  const smi = probe.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"]);
  const gpus = parseNvidiaSmi(smi ?? "").map((g) => ({ ...g, bandwidth: nvidiaGpuBandwidth(g.name) }));
  return {
    os: `${distro ? `${distro}, ` : ""}Linux ${probe.kernelRelease} (${probe.arch})`,
    cpuName: cpu.modelName || "unknown CPU",
    chip: null,
    cpuCores: cpu.logicalCores || probe.cpuCount,
    performanceCores: null,
    efficiencyCores: null,
    gpuCores: null,
    totalMemoryBytes: parseMeminfoTotal(probe.read("/proc/meminfo") ?? "") ?? probe.totalMemoryBytes,
    gpus,
    memoryBandwidth: gpus[0]?.bandwidth ?? null,
  };
}

/**
 * Detects this machine's hardware. Never throws: unknown facts come back null or as a fallback.
 *
 * @example
 *   const hw = detectHardware();
 *   hw.chip; // "M4 Max" on a Mac, null elsewhere
 *   hw.memoryBandwidth; // { gbPerSecond: 546, approximate: true }
 */
export function detectHardware(probe: SystemProbe = systemProbe()): HardwareInfo {
  if (probe.platform === "darwin") return detectMac(probe);
  if (probe.platform === "linux") return detectLinux(probe);
  return {
    os: `${probe.platform} ${probe.kernelRelease} (${probe.arch})`,
    cpuName: "unknown CPU",
    chip: null,
    cpuCores: probe.cpuCount,
    performanceCores: null,
    efficiencyCores: null,
    gpuCores: null,
    totalMemoryBytes: probe.totalMemoryBytes,
    gpus: [],
    memoryBandwidth: null,
  };
}
