/**
 * Run by host-heap.test.ts in a fresh process (the test runner's own heap is in whatever state earlier tests left):
 * frees ~100 MiB of malloc'd, touched blocks that cannot merge into the heap's top, then trims. Prints
 * `{"trimmed": bool, "heldBytes": n, "afterTrimBytes": n}` (resident bytes before and after the trim).
 */
import { dlopen, FFIType, type Pointer } from "bun:ffi";
import { readFileSync } from "node:fs";
import { trimHostHeap } from "../host-heap.ts";

function rss(): number {
  const line = readFileSync("/proc/self/status", "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))!;
  return Number(line.split(/\s+/)[1]) * 1024;
}

const libc = dlopen("libc.so.6", {
  malloc: { args: [FFIType.u64], returns: FFIType.ptr },
  memset: { args: [FFIType.ptr, FFIType.i32, FFIType.u64], returns: FFIType.ptr },
  free: { args: [FFIType.ptr], returns: FFIType.void },
});
// Blocks under glibc's mmap threshold, each followed by a small one that stays allocated: the freed blocks
// cannot merge into the heap's top (which free() would trim by itself), so their pages stay resident.
const size = 64 * 1024;
const big: Pointer[] = [];
const pins: Pointer[] = [];
for (let i = 0; i < 1600; i++) {
  const p = libc.symbols.malloc(BigInt(size)) as Pointer;
  libc.symbols.memset(p, 1, BigInt(size)); // touch the pages: resident
  big.push(p);
  pins.push(libc.symbols.malloc(64n) as Pointer);
}
for (const p of big) libc.symbols.free(p);
const heldBytes = rss();
const trimmed = trimHostHeap();
const afterTrimBytes = rss();
for (const p of pins) libc.symbols.free(p);
console.log(JSON.stringify({ trimmed, heldBytes, afterTrimBytes }));
