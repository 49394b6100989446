/**
 * Test support for the host emulations of our CUDA kernels (ffi/tests/*_emulate.cpp, over ffi/tests/warp_emulate.h):
 * compiles one with the C++20 compiler the native build uses (`CXX`, default `c++`), runs it, and checks that it
 * compiled silently, exited 0, printed no FAIL and ended with "`cases` passed, 0 failed".
 *
 * @example
 *   test("the qmv kernel body matches a float64 reference", () => expectEmulationPasses("qmv_emulate.cpp", 16), 120_000);
 */
import { expect } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../../..");

export function expectEmulationPasses(source: string, cases: number): void {
  const dir = mkdtempSync(join(tmpdir(), "emulate-"));
  try {
    const exe = join(dir, "emulate");
    const cc = Bun.spawnSync([process.env.CXX ?? "c++", "-std=c++20", "-O1", "-pthread", "-I", join(ROOT, "ffi/kernels"),
      join(ROOT, "ffi/tests", source), "-o", exe], { stdout: "pipe", stderr: "pipe" });
    expect(cc.stderr.toString()).toBe("");
    expect(cc.exitCode).toBe(0);
    const run = Bun.spawnSync([exe], { stdout: "pipe", stderr: "pipe" });
    const out = run.stdout.toString();
    expect(out).toContain(`${cases} passed, 0 failed`);
    expect(out).not.toContain("FAIL");
    expect(run.exitCode).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
