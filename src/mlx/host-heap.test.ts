import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { trimHostHeap } from "./host-heap.ts";

/** Resident bytes of this process (Linux). */
function rss(): number {
  const line = readFileSync("/proc/self/status", "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))!;
  return Number(line.split(/\s+/)[1]) * 1024;
}

test.if(process.platform === "linux")("trimHostHeap gives freed malloc pages back (glibc)", () => {
  // Blocks under glibc's mmap threshold, each followed by a small one that stays allocated: the freed blocks
  // cannot merge into the heap's top (which free() would trim by itself), so their pages stay resident.
  const { dlopen, FFIType } = require("bun:ffi") as typeof import("bun:ffi");
  const libc = dlopen("libc.so.6", {
    malloc: { args: [FFIType.u64], returns: FFIType.ptr },
    memset: { args: [FFIType.ptr, FFIType.i32, FFIType.u64], returns: FFIType.ptr },
    free: { args: [FFIType.ptr], returns: FFIType.void },
  });
  const size = 64 * 1024;
  const big: NonNullable<ReturnType<typeof libc.symbols.malloc>>[] = [];
  const pins: typeof big = [];
  for (let i = 0; i < 1600; i++) {
    const p = libc.symbols.malloc(BigInt(size))!;
    libc.symbols.memset(p, 1, BigInt(size)); // touch the pages: resident
    big.push(p);
    pins.push(libc.symbols.malloc(64n)!);
  }
  for (const p of big) libc.symbols.free(p);
  const held = rss();
  expect(trimHostHeap()).toBe(true);
  const trimmed = rss();
  for (const p of pins) libc.symbols.free(p);
  // About 100 MiB were freed but stayed resident; the trim returns most of them.
  expect(held - trimmed).toBeGreaterThan(50 * 1024 * 1024);
  libc.close();
});
