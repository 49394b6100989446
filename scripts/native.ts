#!/usr/bin/env bun
/**
 * Builds ffi/ (libvmlx) with CMake against the unpacked MLX wheel and installs it beside libmlx, so the
 * wheel's folder becomes the runtime layout that src/mlx/ffi/library.ts loads.
 *
 * @example
 *   bun scripts/native.ts --backend cpu
 */
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { mlxRoot, parseBackendArg, sharedLibName } from "./paths.ts";

const backend = parseBackendArg(process.argv.slice(2));
const root = mlxRoot(backend);
const mlxDir = join(root, "mlx");
if (!existsSync(join(mlxDir, "include", "mlx", "mlx.h"))) {
  console.error(`native: ${mlxDir} is missing; run: bash scripts/fetch-mlx.sh ${backend}`);
  process.exit(1);
}
const buildDir = resolve("ffi", "build", backend);
const generator = Bun.which("ninja") ? ["-G", "Ninja"] : [];

function run(cmd: string[]): void {
  const proc = Bun.spawnSync(cmd, { stdout: "inherit", stderr: "inherit" });
  if (proc.exitCode !== 0) {
    console.error(`native: '${cmd.join(" ")}' failed with exit code ${proc.exitCode}`);
    process.exit(proc.exitCode ?? 1);
  }
}

// The CUDA build compiles against the CUDA runtime and NVRTC headers (PyPI, pinned; scripts/cuda-headers.sh).
const cudaInclude: string[] = [];
if (backend === "cuda") {
  const proc = Bun.spawnSync(["bash", "scripts/cuda-headers.sh"], { stdout: "pipe", stderr: "inherit" });
  if (proc.exitCode !== 0) {
    console.error("native: scripts/cuda-headers.sh failed");
    process.exit(1);
  }
  cudaInclude.push(`-DVMLX_CUDA_INCLUDE=${proc.stdout.toString().trim()}`);
}
run(["cmake", "-S", "ffi", "-B", buildDir, ...generator, `-DVMLX_BACKEND=${backend}`, `-DMLX_ROOT=${mlxDir}`,
  ...cudaInclude, "-DCMAKE_BUILD_TYPE=Release", "-Wno-dev", "--log-level=WARNING"]);
run(["cmake", "--build", buildDir, "--parallel"]);

const lib = sharedLibName("vmlx");
copyFileSync(join(buildDir, lib), join(mlxDir, "lib", lib));
console.log(`native: installed ${lib} into ${join(mlxDir, "lib")} (MLX ${readFileSync("scripts/mlx-version.txt", "utf8").trim()}, ${backend})`);
