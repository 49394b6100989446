/**
 * Memory the OS could hand out now without swapping: Linux's `MemAvailable`, macOS's free, inactive,
 * speculative and purgeable pages (what Activity Monitor counts as available). Node's `os.freemem()` is too
 * pessimistic on macOS (free pages only), so both are read from the source.
 */
import { readFileSync } from "node:fs";
import type { SystemProbe } from "./detect.ts";

/** The live system, without systemProbe()'s CPU listing (this is read while serving). */
const LIVE: Pick<SystemProbe, "platform" | "read" | "run"> = {
  platform: process.platform,
  read(path) {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return null;
    }
  },
  run(cmd) {
    try {
      const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "ignore", timeout: 2000 });
      return p.exitCode === 0 ? p.stdout.toString() : null;
    } catch {
      return null;
    }
  },
};

/** `MemAvailable` from /proc/meminfo, in bytes. */
export function parseMeminfoAvailable(text: string): number | null {
  const m = /^MemAvailable:\s+(\d+)\s*kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : null;
}

/** Free + inactive + speculative + purgeable pages from `vm_stat`, in bytes. */
export function parseVmStatAvailable(text: string): number | null {
  const page = /page size of (\d+) bytes/.exec(text);
  if (!page) return null;
  let pages = 0;
  let found = false;
  for (const name of ["free", "inactive", "speculative", "purgeable"]) {
    const m = new RegExp(`^Pages ${name}:\\s+(\\d+)\\.?`, "m").exec(text);
    if (m) {
      pages += Number(m[1]);
      found = true;
    }
  }
  return found ? pages * Number(page[1]) : null;
}

/**
 * Available memory in bytes, or null when the system does not say.
 *
 * @example
 *   availableMemoryBytes(); // 22_400_000_000 on an idle 24 GB Linux machine
 */
export function availableMemoryBytes(probe: Pick<SystemProbe, "platform" | "read" | "run"> = LIVE): number | null {
  if (probe.platform === "linux") return parseMeminfoAvailable(probe.read("/proc/meminfo") ?? "");
  if (probe.platform === "darwin") return parseVmStatAvailable(probe.run(["vm_stat"]) ?? "");
  return null;
}
