/**
 * What `bun run release` wrote: the tarballs, their sums and the formula that names the darwin one. Needs the
 * release first; scripts/test.sh runs it after `bun run release`:
 *   bun test ./packaging/homebrew/release.check.ts
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { darwinPins } from "../../scripts/darwin/native.ts";
import { FORMULA_PATH, packageVersion, RELEASE_DIR, releaseUrlBase, sha256File, tarballName } from "../../scripts/release.ts";
import { REPO_ROOT } from "../../scripts/paths.ts";
import { TARGETS } from "../../scripts/targets.ts";
import { macosSymbol, readFormula, rubySyntaxCheck } from "./formula.ts";

const VERSION = packageVersion();

function formulaText(): string {
  if (!existsSync(FORMULA_PATH)) throw new Error(`${FORMULA_PATH} is missing: run bun run release`);
  return readFileSync(FORMULA_PATH, "utf8");
}

describe("the release", () => {
  for (const target of TARGETS) {
    test(`${tarballName(VERSION, target)} holds dist/vllm-mlx-${target} alone, and its sums match`, () => {
      const tarball = join(RELEASE_DIR, tarballName(VERSION, target));
      const listing = Bun.spawnSync(["tar", "-tvzf", tarball], { stdout: "pipe" }).stdout.toString().trim().split("\n");
      expect(listing).toHaveLength(1);
      expect(listing[0]).toMatch(/^-rwxr-xr-x 0\/0 .* vllm-mlx$/);
      const dir = mkdtempSync(join(os.tmpdir(), "release-"));
      try {
        expect(Bun.spawnSync(["tar", "-xzf", tarball, "-C", dir]).exitCode).toBe(0);
        expect(sha256File(join(dir, "vllm-mlx"))).toBe(sha256File(join(REPO_ROOT, "dist", `vllm-mlx-${target}`)));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      const line = `${sha256File(tarball)}  ${tarballName(VERSION, target)}`;
      expect(readFileSync(`${tarball}.sha256`, "utf8")).toBe(`${line}\n`);
      expect(readFileSync(join(RELEASE_DIR, "SHA256SUMS"), "utf8").split("\n")).toContain(line);
    });
  }

  test("the formula names the darwin tarball by URL and SHA-256", () => {
    const fields = readFormula(formulaText());
    const name = tarballName(VERSION, "darwin-arm64");
    expect(fields.url).toBe(`${releaseUrlBase(VERSION)}/${name}`);
    expect(fields.sha256).toBe(sha256File(join(RELEASE_DIR, name)));
  });

  test("the formula installs the binary on arm64 macOS from the pinned floor, serves and tests it", () => {
    const fields = readFormula(formulaText());
    expect(fields.arch).toBe("arm64");
    expect(fields.macos).toBe(macosSymbol(darwinPins().MACOS_MIN!));
    expect(fields.binInstall).toBe("vllm-mlx");
    expect(fields.serviceRun).toBe('opt_bin/"vllm-mlx", "serve"');
    expect(fields.testCommands).toEqual(["vllm-mlx --version", "vllm-mlx doctor"]);
  });

  test("ruby -c accepts the formula", () => {
    const r = rubySyntaxCheck(formulaText());
    expect(r.out.trim()).toBe("Syntax OK");
    expect(r.code).toBe(0);
  });
});
