#!/usr/bin/env bun
/**
 * `bun run package:app`: the macOS app bundle dist/vLLM-MLX.app and dist/vLLM-MLX.app.zip, buildable on Linux.
 * The bundle's executable is the darwin-arm64 binary itself (dist/vllm-mlx-darwin-arm64, built with
 * `bun scripts/build.ts --target darwin-arm64` when missing); started from inside a bundle with no command, it
 * runs `app` (src/cli/main.ts). Info.plist (bundle id, the package's version, macOS 14 floor), PkgInfo and an
 * icon drawn by scripts/app/icon.ts. Not signed or notarized: macOS quarantines it when downloaded.
 *
 * @example
 *   bun scripts/package-app.ts            # dist/vLLM-MLX.app, dist/vLLM-MLX.app.zip
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { build as buildPlist } from "plist";
import { buildIcns } from "./app/icon.ts";
import { writeZip } from "./app/zip.ts";
import { REPO_ROOT } from "./paths.ts";

export const APP_NAME = "vLLM-MLX";
export const BUNDLE_ID = "io.github.vllm-mlx.app";
export const EXECUTABLE = "vllm-mlx";
export const MINIMUM_MACOS = "14.0";

/** Info.plist's fields for `version`. */
export function infoPlist(version: string): Record<string, string | boolean | string[]> {
  return {
    CFBundleDevelopmentRegion: "en",
    CFBundleDisplayName: APP_NAME,
    CFBundleExecutable: EXECUTABLE,
    CFBundleIconFile: `${APP_NAME}.icns`,
    CFBundleIdentifier: BUNDLE_ID,
    CFBundleInfoDictionaryVersion: "6.0",
    CFBundleName: APP_NAME,
    CFBundlePackageType: "APPL",
    CFBundleShortVersionString: version,
    CFBundleVersion: version,
    CFBundleSupportedPlatforms: ["MacOSX"],
    LSMinimumSystemVersion: MINIMUM_MACOS,
    LSArchitecturePriority: ["arm64"],
    LSApplicationCategoryType: "public.app-category.developer-tools",
    NSHighResolutionCapable: true,
    NSHumanReadableCopyright: "Apache-2.0",
  };
}

/** Writes the bundle and its zip under `outDir`; returns their paths. */
export function packageApp(binary: string, outDir: string, version: string): { app: string; zip: string } {
  const app = join(outDir, `${APP_NAME}.app`);
  rmSync(app, { recursive: true, force: true });
  const contents = join(app, "Contents");
  mkdirSync(join(contents, "MacOS"), { recursive: true });
  mkdirSync(join(contents, "Resources"), { recursive: true });
  writeFileSync(join(contents, "Info.plist"), buildPlist(infoPlist(version)));
  writeFileSync(join(contents, "PkgInfo"), "APPL????");
  writeFileSync(join(contents, "Resources", `${APP_NAME}.icns`), buildIcns());
  const executable = join(contents, "MacOS", EXECUTABLE);
  copyFileSync(binary, executable);
  chmodSync(executable, 0o755);
  const zip = `${app}.zip`;
  writeZip(zip, outDir, [`${APP_NAME}.app`]);
  return { app, zip };
}

if (import.meta.main) {
  const binary = join(REPO_ROOT, "dist", "vllm-mlx-darwin-arm64");
  if (!existsSync(binary)) {
    console.log(`package:app: ${relative(REPO_ROOT, binary)} is missing; building it`);
    const proc = Bun.spawnSync([process.execPath, join(REPO_ROOT, "scripts", "build.ts"), "--target", "darwin-arm64"], { stdout: "inherit", stderr: "inherit" });
    if (proc.exitCode !== 0) process.exit(proc.exitCode ?? 1);
  }
  const version = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;
  const { app, zip } = packageApp(binary, join(REPO_ROOT, "dist"), version);
  console.log(`package:app: ${relative(REPO_ROOT, app)} and ${relative(REPO_ROOT, zip)} (${(Bun.file(zip).size / 2 ** 20).toFixed(1)} MiB), version ${version}`);
}
