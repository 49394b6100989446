/**
 * The structural checks of the darwin-arm64 build (scripts/darwin/check_macho.py, with LIEF from the toolchain's
 * venv): the embedded dylibs, sharp's addon and libvips, and the Bun executable that carries them.
 *
 * @example
 *   bun scripts/darwin/check.ts         # after `bun run build --target darwin-arm64`; exits 1 on a failed check
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { SYMBOLS } from "../../src/mlx/ffi/symbols.ts";
import { mlxRoot, REPO_ROOT } from "../paths.ts";
import { type SharpNative, sharpCacheDir, sharpNativeAt } from "../sharp-native.ts";
import { DARWIN_CACHE, DARWIN_DIR, darwinPins, darwinToolchain, zigLibSystemTbd } from "./native.ts";

export interface DarwinCheckConfig {
  minos: string;
  libDir: string;
  dylibs: string[];
  libcxxStub: string;
  libSystemTbd: string;
  tsSymbols: string[];
  binary?: string;
  embedded: string[];
  /** sharp's addon and libvips in their unpacked layout (scripts/sharp-native.ts). */
  sharp: SharpNative;
}

export const DARWIN_BINARY = join(REPO_ROOT, "dist", "vllm-mlx-darwin-arm64");

/** The checks' configuration for the build in .cache and dist/. */
export function darwinCheckConfig(toolchain = darwinToolchain()): DarwinCheckConfig {
  const libDir = join(mlxRoot("metal"), "mlx", "lib");
  const sharp = sharpNativeAt(sharpCacheDir("darwin-arm64"), "darwin-arm64");
  return {
    minos: darwinPins().MACOS_MIN!,
    libDir,
    dylibs: ["libvmlx.dylib", "libmlx.dylib"],
    libcxxStub: join(DARWIN_CACHE, "libc++.tbd"),
    libSystemTbd: zigLibSystemTbd(toolchain),
    tsSymbols: Object.keys(SYMBOLS),
    binary: DARWIN_BINARY,
    embedded: [...["libvmlx.dylib", "libmlx.dylib", "mlx.metallib"].map((f) => join(libDir, f)),
      join(sharp.root, sharp.addon), join(sharp.root, sharp.libvips)],
    sharp,
  };
}

/** Runs check_macho.py on `config`; returns its exit code and its report (one line a check). */
export function runDarwinChecks(config: DarwinCheckConfig, toolchain = darwinToolchain()): { code: number; report: string } {
  const dir = mkdtempSync(join(os.tmpdir(), "darwin-check-"));
  try {
    const file = join(dir, "config.json");
    writeFileSync(file, JSON.stringify(config));
    const p = Bun.spawnSync([join(toolchain, "venv", "bin", "python"), join(DARWIN_DIR, "check_macho.py"), file],
      { stdout: "pipe", stderr: "pipe" });
    return { code: p.exitCode ?? 1, report: p.stdout.toString() + p.stderr.toString() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { code, report } = runDarwinChecks(darwinCheckConfig());
  process.stdout.write(report);
  process.exit(code);
}
