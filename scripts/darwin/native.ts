/**
 * Cross-builds libvmlx.dylib for arm64 macOS on Linux and installs it beside the mlx-metal wheel's libmlx
 * (`.cache/mlx/<version>/metal/mlx/lib`), the layout scripts/build.ts embeds. The toolchain (zig and LIEF from
 * PyPI, pinned in pins.env) is fetched on first use; the CMake build folder stays under .cache/darwin-arm64, so a
 * second run recompiles only what changed.
 *
 * @example
 *   bun scripts/darwin/native.ts        # -> .cache/mlx/0.32.4/metal/mlx/lib/libvmlx.dylib
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { mlxRoot, REPO_ROOT } from "../paths.ts";

export const DARWIN_DIR = join(REPO_ROOT, "scripts", "darwin");
/** Generated files of the darwin build: the libc++ stub and the CMake build folder. */
export const DARWIN_CACHE = join(REPO_ROOT, ".cache", "darwin-arm64");

/** pins.env as a map (KEY=VALUE lines). */
export function darwinPins(): Record<string, string> {
  const pins: Record<string, string> = {};
  for (const line of readFileSync(join(DARWIN_DIR, "pins.env"), "utf8").split("\n")) {
    const m = /^([A-Z_]+)=(\S+)$/.exec(line.trim());
    if (m) pins[m[1]!] = m[2]!;
  }
  return pins;
}

function run(cmd: string[], what: string): string {
  const proc = Bun.spawnSync(cmd, { cwd: REPO_ROOT, stdout: "pipe", stderr: "inherit" });
  const out = proc.stdout.toString();
  if (proc.exitCode !== 0) {
    process.stdout.write(out);
    throw new Error(`${what}: '${cmd.join(" ")}' failed with exit code ${proc.exitCode}`);
  }
  return out;
}

/** The toolchain folder (fetched on first use): `venv/bin/python` has LIEF, `zig` is zig. */
export function darwinToolchain(): string {
  return run(["bash", join(DARWIN_DIR, "toolchain.sh")], "darwin toolchain").trim();
}

/** zig's TAPI stub of libSystem, the list of libSystem symbols a darwin binary may import. */
export function zigLibSystemTbd(toolchain: string): string {
  const zig = run(["readlink", "-f", join(toolchain, "zig")], "zig").trim();
  return join(zig, "..", "lib", "libc", "darwin", "libSystem.tbd");
}

/**
 * Fetches the wheel and the toolchain, writes the libc++ stub, builds ffi/ with CMake (-j2) and installs
 * libvmlx.dylib beside libmlx.dylib; returns the wheel's mlx/lib folder.
 */
export function buildDarwinNative(): string {
  run(["bash", join(REPO_ROOT, "scripts", "fetch-mlx.sh"), "metal"], "fetch-mlx");
  const toolchain = darwinToolchain();
  const python = join(toolchain, "venv", "bin", "python");
  const libDir = join(mlxRoot("metal"), "mlx", "lib");
  mkdirSync(DARWIN_CACHE, { recursive: true });
  const stub = join(DARWIN_CACHE, "libc++.tbd");
  const before = existsSync(stub) ? readFileSync(stub, "utf8") : "";
  console.log(run([python, join(DARWIN_DIR, "libcxx_stub.py"), stub, join(libDir, "libmlx.dylib"),
    join(libDir, "libjaccl.dylib")], "libc++ stub").trim());

  const buildDir = join(DARWIN_CACHE, "ffi-build");
  // The link does not depend on the stub in CMake's eyes: a changed stub must relink.
  if (readFileSync(stub, "utf8") !== before) rmSync(join(buildDir, "libvmlx.dylib"), { force: true });
  const generator = Bun.which("ninja") ? ["-G", "Ninja"] : [];
  run(["cmake", "-S", join(REPO_ROOT, "ffi"), "-B", buildDir, ...generator,
    `-DCMAKE_TOOLCHAIN_FILE=${join(DARWIN_DIR, "arm64-macos.cmake")}`, `-DVMLX_LIBCXX_STUB=${stub}`,
    "-DVMLX_BACKEND=metal", `-DMLX_ROOT=${join(mlxRoot("metal"), "mlx")}`, "-DCMAKE_BUILD_TYPE=Release",
    "-Wno-dev", "--log-level=WARNING"], "cmake configure");
  // Two jobs at most: the machines this runs on have two cores.
  const build = Bun.spawnSync(["cmake", "--build", buildDir, "--parallel", "2"],
    { cwd: REPO_ROOT, stdout: "inherit", stderr: "inherit" });
  if (build.exitCode !== 0) throw new Error(`darwin native: cmake --build failed with exit code ${build.exitCode}`);
  copyFileSync(join(buildDir, "libvmlx.dylib"), join(libDir, "libvmlx.dylib"));
  console.log(`darwin native: installed libvmlx.dylib into ${libDir}`);
  return libDir;
}

if (import.meta.main) buildDarwinNative();
