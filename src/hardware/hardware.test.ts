import { describe, expect, test } from "bun:test";
import { appleChipBandwidth, nvidiaGpuBandwidth } from "./bandwidth.ts";
import { detectHardware, type SystemProbe } from "./detect.ts";
import { describeHardware, formatBytes, formatGigabytes } from "./format.ts";
import {
  appleChipName, parseCpuinfo, parseIoregGpuCores, parseMeminfoTotal, parseNvidiaSmi, parseOsRelease, parseSysctl,
  parseSystemProfilerGpuCores,
} from "./parse.ts";

// Captured on the H100 device machine (nvidia-smi 2026-11).
const NVIDIA_SMI_H100 = "NVIDIA H100 80GB HBM3, 81559 MiB\n";
// Captured on the 2-core dev machine, trimmed to the lines the parser reads plus neighbours.
const CPUINFO = `processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Processor
cpu cores\t: 2

processor\t: 1
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Processor
cpu cores\t: 2
`;
const MEMINFO = "MemTotal:       24684096 kB\nMemFree:        22883816 kB\nMemAvailable:   24186256 kB\n";
const OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n';
// `sysctl <keys>` on an M4 Max (16-core CPU), in sysctl's "key: value" format.
const SYSCTL_M4_MAX = `machdep.cpu.brand_string: Apple M4 Max
hw.memsize: 137438953472
hw.ncpu: 16
hw.perflevel0.physicalcpu: 12
hw.perflevel1.physicalcpu: 4
`;
const IOREG_AGX = `+-o AGXAcceleratorG16X  <class AGXAcceleratorG16X, id 0x1000007d1, registered, matched, active, busy 0 (0 ms), retain 70>
    {
      "IOClass" = "AGXAcceleratorG16X"
      "gpu-core-count" = 40
      "model" = "Apple M4 Max"
    }
`;

// `system_profiler SPDisplaysDataType` for an M2 (10-core GPU), in the report's layout (written here, not captured).
const SYSTEM_PROFILER_M2 = `Graphics/Displays:

    Apple M2:

      Chipset Model: Apple M2
      Type: GPU
      Bus: Built-In
      Total Number of Cores: 10
      Vendor: Apple (0x106b)
      Metal Support: Metal 3
`;

function fakeProbe(partial: Partial<SystemProbe>, commands: Record<string, string> = {}, files: Record<string, string> = {}): SystemProbe {
  return {
    platform: "linux",
    arch: "x86_64",
    kernelRelease: "6.1.0",
    cpuCount: 1,
    totalMemoryBytes: 1,
    run: (cmd) => commands[cmd[0]!] ?? null,
    read: (path) => files[path] ?? null,
    ...partial,
  };
}

describe("parsers", () => {
  test("sysctl key: value lines, and the Apple chip name", () => {
    const v = parseSysctl(SYSCTL_M4_MAX);
    expect(v.get("hw.memsize")).toBe("137438953472");
    expect(v.get("hw.perflevel1.physicalcpu")).toBe("4");
    expect(v.has("hw.perflevel2.physicalcpu")).toBe(false);
    expect(appleChipName(v.get("machdep.cpu.brand_string")!)).toBe("M4 Max");
    expect(appleChipName("Apple M1")).toBe("M1");
    expect(appleChipName("Apple M3 Ultra")).toBe("M3 Ultra");
    expect(appleChipName("Intel(R) Core(TM) i9-9980HK CPU @ 2.40GHz")).toBeNull();
    expect(parseIoregGpuCores(IOREG_AGX)).toBe(40);
  });

  test("Linux /proc files and os-release", () => {
    expect(parseCpuinfo(CPUINFO)).toEqual({ modelName: "Intel(R) Xeon(R) Processor", logicalCores: 2 });
    expect(parseMeminfoTotal(MEMINFO)).toBe(24684096 * 1024);
    expect(parseMeminfoTotal("nothing")).toBeNull();
    expect(parseOsRelease(OS_RELEASE)).toBe("Debian GNU/Linux 12 (bookworm)");
    expect(parseOsRelease("PRETTY_NAME=Alpine\n")).toBe("Alpine");
  });

  test("nvidia-smi csv lines", () => {
    expect(parseNvidiaSmi(NVIDIA_SMI_H100)).toEqual([{ name: "NVIDIA H100 80GB HBM3", memoryBytes: 81559 * 2 ** 20 }]);
    const two = parseNvidiaSmi("NVIDIA H200, 143771 MiB\nNVIDIA A100-SXM4-80GB, 81920 MiB\n");
    expect(two.map((g) => g.name)).toEqual(["NVIDIA H200", "NVIDIA A100-SXM4-80GB"]);
    expect(parseNvidiaSmi("")).toEqual([]);
  });
});

describe("bandwidth tables", () => {
  test("Apple chips, with binned variants told apart by CPU cores and marked approximate", () => {
    expect(appleChipBandwidth("M1")).toEqual({ gbPerSecond: 68, approximate: false });
    expect(appleChipBandwidth("M2 Ultra")).toEqual({ gbPerSecond: 800, approximate: false });
    expect(appleChipBandwidth("M3 Max", 14)).toEqual({ gbPerSecond: 300, approximate: true });
    expect(appleChipBandwidth("M3 Max", 16)).toEqual({ gbPerSecond: 400, approximate: true });
    expect(appleChipBandwidth("M4 Max", 16)).toEqual({ gbPerSecond: 546, approximate: true });
    expect(appleChipBandwidth("M4 Max")).toEqual({ gbPerSecond: 410, approximate: true });
    expect(appleChipBandwidth("M9 Hyper")).toBeNull();
  });

  test("NVIDIA GPUs by nvidia-smi name", () => {
    expect(nvidiaGpuBandwidth("NVIDIA H100 80GB HBM3")?.gbPerSecond).toBe(3350);
    expect(nvidiaGpuBandwidth("NVIDIA H100 PCIe")?.gbPerSecond).toBe(2000);
    expect(nvidiaGpuBandwidth("NVIDIA H200")?.gbPerSecond).toBe(4800);
    expect(nvidiaGpuBandwidth("NVIDIA A100-SXM4-80GB")?.gbPerSecond).toBe(2039);
    expect(nvidiaGpuBandwidth("NVIDIA GeForce GTX 1050")).toBeNull();
  });
});

describe("detectHardware", () => {
  test("macOS on Apple Silicon", () => {
    const hw = detectHardware(fakeProbe({ platform: "darwin", arch: "arm64" },
      { sysctl: SYSCTL_M4_MAX, sw_vers: "15.2\n", ioreg: IOREG_AGX }));
    expect(hw).toMatchObject({
      os: "macOS 15.2 (arm64)", chip: "M4 Max", cpuCores: 16, performanceCores: 12, efficiencyCores: 4,
      gpuCores: 40, totalMemoryBytes: 128 * 2 ** 30, memoryBandwidth: { gbPerSecond: 546, approximate: true },
    });
    expect(describeHardware(hw)).toContainEqual(["memory bandwidth", "~546 GB/s (binned chip, approximate)"]);
    expect(describeHardware(hw)).toContainEqual(["cpu cores", "16 (12P + 4E)"]);
  });

  test("macOS: GPU cores from system_profiler where ioreg gives none", () => {
    expect(parseSystemProfilerGpuCores(SYSTEM_PROFILER_M2)).toBe(10);
    expect(parseSystemProfilerGpuCores("Graphics/Displays:\n")).toBeNull();
    const sysctl = SYSCTL_M4_MAX.replace("M4 Max", "M2");
    const hw = detectHardware(fakeProbe({ platform: "darwin", arch: "arm64" },
      { sysctl, sw_vers: "14.6\n", system_profiler: SYSTEM_PROFILER_M2 }));
    expect(hw).toMatchObject({ chip: "M2", gpuCores: 10, memoryBandwidth: { gbPerSecond: 100, approximate: false } });
    expect(describeHardware(hw)).toContainEqual(["gpu cores", "10"]);
  });

  test("Linux with an NVIDIA GPU", () => {
    const hw = detectHardware(fakeProbe({}, { "nvidia-smi": NVIDIA_SMI_H100 },
      { "/proc/cpuinfo": CPUINFO, "/proc/meminfo": MEMINFO, "/etc/os-release": OS_RELEASE }));
    expect(hw.os).toBe("Debian GNU/Linux 12 (bookworm), Linux 6.1.0 (x86_64)");
    expect(hw.cpuName).toBe("Intel(R) Xeon(R) Processor");
    expect(hw.cpuCores).toBe(2);
    expect(hw.gpus[0]?.bandwidth?.gbPerSecond).toBe(3350);
    expect(hw.memoryBandwidth?.gbPerSecond).toBe(3350);
    expect(describeHardware(hw)).toContainEqual(["gpu 0", "NVIDIA H100 80GB HBM3, 79.6 GB, 3350 GB/s"]);
  });

  test("Linux CPU only: unknown bandwidth, runtime fallbacks where files are missing", () => {
    const hw = detectHardware(fakeProbe({ cpuCount: 8, totalMemoryBytes: 16 * 2 ** 30 }));
    expect(hw).toMatchObject({ cpuName: "unknown CPU", cpuCores: 8, totalMemoryBytes: 16 * 2 ** 30, gpus: [], memoryBandwidth: null });
    expect(formatGigabytes(16 * 2 ** 30)).toBe("16 GB");
    expect(formatBytes(16)).toBe("16 B");
    expect(formatBytes(32 * 2 ** 20)).toBe("32.0 MiB");
    expect(formatBytes(1.5 * 2 ** 30)).toBe("1.5 GiB");
  });

  test("the live machine answers without throwing", () => {
    const hw = detectHardware();
    expect(hw.cpuCores).toBeGreaterThan(0);
    expect(hw.totalMemoryBytes).toBeGreaterThan(0);
  });
});
