/**
 * The CUDA kernel for one sequence's chunk of rows (ffi/kernels/paged_attention_chunk.cu, then the merge kernel) run
 * on the host by ffi/tests/paged_chunk_emulate.cpp: each warp's lanes as threads, shuffles and the block's barrier as
 * barriers, against a float64 causal attention. It checks the kernel's tiles, partitions, rounds of queries, GQA and
 * MQA, windows, soft-capping and unaligned pools on every machine; paged.test.ts checks it on a GPU. Needs a C++20
 * compiler (`CXX`, default `c++`), as the native build does.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../../..");

test("the chunk kernel body matches a float64 causal attention (head dims 64-256, bfloat16 and float32, GQA and MQA, windows, softcap, unaligned pools, pad rows)", () => {
  const dir = mkdtempSync(join(tmpdir(), "chunk-emulate-"));
  try {
    const exe = join(dir, "chunk_emulate");
    const cc = Bun.spawnSync([process.env.CXX ?? "c++", "-std=c++20", "-O1", "-pthread", "-I", join(ROOT, "ffi/kernels"),
      join(ROOT, "ffi/tests/paged_chunk_emulate.cpp"), "-o", exe], { stdout: "pipe", stderr: "pipe" });
    expect(cc.stderr.toString()).toBe("");
    expect(cc.exitCode).toBe(0);
    const run = Bun.spawnSync([exe], { stdout: "pipe", stderr: "pipe" });
    const out = run.stdout.toString();
    expect(out).toContain("10 passed, 0 failed");
    expect(out).not.toContain("FAIL");
    expect(run.exitCode).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
