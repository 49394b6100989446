/** Pure parsers for the system commands and files that hardware detection reads. */

/** `sysctl key1 key2 ...` output ("key: value" per line) as a map; unknown keys are simply absent. */
export function parseSysctl(output: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of output.split("\n")) {
    const i = line.indexOf(":");
    if (i <= 0) continue;
    values.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return values;
}

/** "Apple M4 Max" -> "M4 Max"; null for a non-Apple brand string. */
export function appleChipName(brand: string): string | null {
  const m = /^Apple (M\d+(?: (?:Pro|Max|Ultra))?)\b/.exec(brand.trim());
  return m ? m[1]! : null;
}

/** GPU core count from `ioreg -rc AGXAccelerator` ("gpu-core-count" = 40). */
export function parseIoregGpuCores(output: string): number | null {
  const m = /"gpu-core-count"\s*=\s*(\d+)/.exec(output);
  return m ? Number(m[1]) : null;
}

/** GPU core count from `system_profiler SPDisplaysDataType` ("Total Number of Cores: 40"), the fallback to ioreg. */
export function parseSystemProfilerGpuCores(output: string): number | null {
  const m = /Total Number of Cores:\s*(\d+)/.exec(output);
  return m ? Number(m[1]) : null;
}

export interface CpuInfo {
  modelName: string;
  logicalCores: number;
}

/** /proc/cpuinfo: the first model name and the number of logical processors. */
export function parseCpuinfo(text: string): CpuInfo {
  let modelName = "";
  let logicalCores = 0;
  for (const line of text.split("\n")) {
    const i = line.indexOf(":");
    if (i < 0) continue;
    const key = line.slice(0, i).trim();
    if (key === "processor") logicalCores++;
    // x86 says "model name"; some arm64 kernels give only "CPU part" or a "Hardware" line.
    else if (!modelName && (key === "model name" || key === "Hardware")) modelName = line.slice(i + 1).trim();
  }
  return { modelName, logicalCores };
}

/** /proc/meminfo: MemTotal in bytes, or null. */
export function parseMeminfoTotal(text: string): number | null {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : null;
}

export interface NvidiaGpu {
  name: string;
  memoryBytes: number;
}

/** `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader`: one GPU a line ("NVIDIA H100 80GB HBM3, 81559 MiB"). */
export function parseNvidiaSmi(output: string): NvidiaGpu[] {
  const gpus: NvidiaGpu[] = [];
  for (const line of output.split("\n")) {
    const m = /^(.+),\s*(\d+)\s*MiB\s*$/.exec(line.trim());
    if (m) gpus.push({ name: m[1]!.trim(), memoryBytes: Number(m[2]) * 2 ** 20 });
  }
  return gpus;
}

/** /etc/os-release's PRETTY_NAME, or null. */
export function parseOsRelease(text: string): string | null {
  const m = /^PRETTY_NAME=(?:"([^"]*)"|(.*))$/m.exec(text);
  return m ? (m[1] ?? m[2] ?? "").trim() || null : null;
}
