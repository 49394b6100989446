#!/usr/bin/env bun
/**
 * `bun run release`: builds dist/vllm-mlx-linux-x64 and dist/vllm-mlx-darwin-arm64 (scripts/build.ts --target),
 * packs each as dist/release/vllm-mlx-<version>-<target>.tar.gz (one file, `vllm-mlx`, with fixed owner and
 * time so the same binary gives the same bytes), writes their SHA-256 sums (`<tarball>.sha256` and SHA256SUMS,
 * in sha256sum's format) and the Homebrew formula packaging/homebrew/vllm-mlx.rb for the darwin tarball.
 *
 * The tarballs are published at $VLLM_MLX_RELEASE_URL, else at the GitHub release of the tag v<version> of
 * $GITHUB_REPOSITORY (set by GitHub Actions), else of DEFAULT_REPOSITORY.
 *
 * @example
 *   bun run release                      # both targets
 *   bun run release --skip-build         # pack the binaries already in dist/
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { homebrewFormula } from "../packaging/homebrew/formula.ts";
import { darwinPins } from "./darwin/native.ts";
import { REPO_ROOT } from "./paths.ts";
import { type Target, TARGETS } from "./targets.ts";

/** Where the project is hosted; the release workflow overrides it with $GITHUB_REPOSITORY. */
export const DEFAULT_REPOSITORY = "vllm-mlx/vllm-mlx";
export const RELEASE_DIR = join(REPO_ROOT, "dist", "release");
export const FORMULA_PATH = join(REPO_ROOT, "packaging", "homebrew", "vllm-mlx.rb");

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;
}

export function tarballName(version: string, target: Target): string {
  return `vllm-mlx-${version}-${target}.tar.gz`;
}

/** The download folder of a version's tarballs. */
export function releaseUrlBase(version: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.VLLM_MLX_RELEASE_URL) return env.VLLM_MLX_RELEASE_URL.replace(/\/+$/, "");
  return `https://github.com/${env.GITHUB_REPOSITORY || DEFAULT_REPOSITORY}/releases/download/v${version}`;
}

function run(cmd: string[], cwd = REPO_ROOT): void {
  const proc = Bun.spawnSync(cmd, { cwd, stdout: "inherit", stderr: "inherit" });
  if (proc.exitCode !== 0) throw new Error(`release: '${cmd.join(" ")}' failed with exit code ${proc.exitCode}`);
}

export function sha256File(path: string): string {
  const hasher = new Bun.CryptoHasher("sha256");
  hasher.update(readFileSync(path));
  return hasher.digest("hex");
}

/** Packs `binary` as the single file `vllm-mlx` of a gzip'd tar with a fixed owner, mode and time. */
export function packTarball(binary: string, out: string, mtime: number): void {
  const stage = `${out}.stage`;
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  copyFileSync(binary, join(stage, "vllm-mlx"));
  try {
    run(["bash", "-c", 'set -o pipefail; tar --owner=0 --group=0 --numeric-owner --mode=0755 --mtime="@$1" ' +
      '-C "$2" -cf - vllm-mlx | gzip -n > "$3"', "pack", String(mtime), stage, out]);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** The commit time of HEAD, so rebuilding a commit gives tarballs with the same timestamps. */
function commitTime(): number {
  const out = Bun.spawnSync(["git", "log", "-1", "--format=%ct"], { cwd: REPO_ROOT }).stdout.toString().trim();
  return Number(out) || 0;
}

function release(skipBuild: boolean): void {
  const version = packageVersion();
  if (!skipBuild) for (const target of TARGETS) run([process.execPath, "scripts/build.ts", "--target", target]);
  rmSync(RELEASE_DIR, { recursive: true, force: true });
  mkdirSync(RELEASE_DIR, { recursive: true });
  const sums: string[] = [];
  const mtime = commitTime();
  for (const target of TARGETS) {
    const tarball = join(RELEASE_DIR, tarballName(version, target));
    packTarball(join(REPO_ROOT, "dist", `vllm-mlx-${target}`), tarball, mtime);
    const line = `${sha256File(tarball)}  ${basename(tarball)}`;
    writeFileSync(`${tarball}.sha256`, `${line}\n`);
    sums.push(line);
    console.log(`release: ${line}`);
  }
  writeFileSync(join(RELEASE_DIR, "SHA256SUMS"), `${sums.join("\n")}\n`);
  const darwin = tarballName(version, "darwin-arm64");
  const repository = process.env.GITHUB_REPOSITORY || DEFAULT_REPOSITORY;
  writeFileSync(FORMULA_PATH, homebrewFormula({
    version,
    url: `${releaseUrlBase(version)}/${darwin}`,
    sha256: sha256File(join(RELEASE_DIR, darwin)),
    homepage: `https://github.com/${repository}`,
    macosMin: darwinPins().MACOS_MIN!,
  }));
  console.log(`release: wrote ${FORMULA_PATH}`);
}

if (import.meta.main) release(process.argv.includes("--skip-build"));
