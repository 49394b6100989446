/** .github/workflows/*.yml checked by actionlint (built on first use, scripts/ci/actionlint.sh). */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";

const REPO = resolve(import.meta.dir, "..", "..");
const WORKFLOWS = join(REPO, ".github", "workflows");
let actionlint = "";
let scratch = "";

beforeAll(() => {
  const p = Bun.spawnSync(["bash", join(REPO, "scripts", "ci", "actionlint.sh")], { stdout: "pipe", stderr: "inherit" });
  if (p.exitCode !== 0) throw new Error("scripts/ci/actionlint.sh failed");
  actionlint = p.stdout.toString().trim();
  scratch = mkdtempSync(join(os.tmpdir(), "workflows-"));
}, 600_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** actionlint on workflow files, run from `cwd` (it reads the repository's .github there). */
function lint(cwd: string, files: string[]): { code: number; out: string } {
  const p = Bun.spawnSync([actionlint, "-no-color", ...files], { cwd, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode ?? 1, out: p.stdout.toString() + p.stderr.toString() };
}

describe("GitHub Actions workflows", () => {
  test("macos.yml and release.yml exist and pass actionlint", () => {
    const files = readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml")).sort();
    expect(files).toEqual(["macos.yml", "release.yml"]);
    const r = lint(REPO, files.map((f) => join(".github", "workflows", f)));
    expect(r.out).toBe("");
    expect(r.code).toBe(0);
  });

  test("the Apple Silicon jobs run on macos-14 (arm64)", () => {
    const macos = readFileSync(join(WORKFLOWS, "macos.yml"), "utf8");
    expect(macos.match(/runs-on: macos-14$/gm)).toHaveLength(2);
    expect(readFileSync(join(WORKFLOWS, "release.yml"), "utf8")).toContain("runs-on: macos-14");
  });

  test("actionlint rejects a broken copy (a job that needs an unknown job)", () => {
    const dir = join(scratch, "repo");
    mkdirSync(join(dir, ".github", "workflows"), { recursive: true });
    const broken = readFileSync(join(WORKFLOWS, "macos.yml"), "utf8")
      .replace("needs: cross-build", "needs: cross-biuld");
    writeFileSync(join(dir, ".github", "workflows", "macos.yml"), broken);
    const r = lint(dir, [join(".github", "workflows", "macos.yml")]);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("cross-biuld");
  });
});
