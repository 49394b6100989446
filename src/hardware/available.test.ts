import { describe, expect, test } from "bun:test";
import { availableMemoryBytes, parseMeminfoAvailable, parseVmStatAvailable } from "./available.ts";

const VM_STAT = `Mach Virtual Memory Statistics: (page size of 16384 bytes)
Pages free:                               12000.
Pages active:                            400000.
Pages inactive:                           30000.
Pages speculative:                         5000.
Pages throttled:                              0.
Pages wired down:                        200000.
Pages purgeable:                           3000.
`;

describe("available memory", () => {
  test("Linux: MemAvailable in kB", () => {
    const text = "MemTotal:       24576000 kB\nMemFree:         1000000 kB\nMemAvailable:   20000000 kB\n";
    expect(parseMeminfoAvailable(text)).toBe(20000000 * 1024);
    expect(parseMeminfoAvailable("MemTotal: 1 kB\n")).toBeNull();
  });

  test("macOS: free + inactive + speculative + purgeable pages times the page size", () => {
    expect(parseVmStatAvailable(VM_STAT)).toBe((12000 + 30000 + 5000 + 3000) * 16384);
    expect(parseVmStatAvailable("no header")).toBeNull();
  });

  test("dispatches on the platform", () => {
    const probe = (platform: NodeJS.Platform) => ({
      platform,
      read: (path: string) => (path === "/proc/meminfo" ? "MemAvailable: 2048 kB\n" : null),
      run: (cmd: string[]) => (cmd[0] === "vm_stat" ? VM_STAT : null),
    });
    expect(availableMemoryBytes(probe("linux"))).toBe(2048 * 1024);
    expect(availableMemoryBytes(probe("darwin"))).toBe(50000 * 16384);
    expect(availableMemoryBytes(probe("win32"))).toBeNull();
  });

  test("the live machine reports a positive amount", () => {
    const bytes = availableMemoryBytes();
    expect(bytes).toBeGreaterThan(0);
  });
});
