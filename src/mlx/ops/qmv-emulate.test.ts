/**
 * The CUDA matrix-vector kernel's body (ffi/kernels/qmv.cu) run on the host by ffi/tests/qmv_emulate.cpp: each warp's
 * lanes as threads, shuffles and the block's barrier as barriers, against a float64 reference. It checks the kernel's
 * indexing, columns a warp, K slices, unrolled loads, remainders, unaligned fallbacks and reductions on every machine;
 * nn-quantized-gpu.test.ts checks it on a GPU. Needs a C++20 compiler (`CXX`, default `c++`), as the native build does.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../../..");

test("the qmv kernel body matches a float64 reference (4- and 8-bit, groups 32-128, 1-16 rows, 2-8 columns a warp, 1-8 K slices, float32 and bfloat16)", () => {
  const dir = mkdtempSync(join(tmpdir(), "qmv-emulate-"));
  try {
    const exe = join(dir, "qmv_emulate");
    const cc = Bun.spawnSync([process.env.CXX ?? "c++", "-std=c++20", "-O1", "-pthread", "-I", join(ROOT, "ffi/kernels"),
      join(ROOT, "ffi/tests/qmv_emulate.cpp"), "-o", exe], { stdout: "pipe", stderr: "pipe" });
    expect(cc.stderr.toString()).toBe("");
    expect(cc.exitCode).toBe(0);
    const run = Bun.spawnSync([exe], { stdout: "pipe", stderr: "pipe" });
    const out = run.stdout.toString();
    expect(out).toContain("16 passed, 0 failed");
    expect(out).not.toContain("FAIL");
    expect(run.exitCode).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
