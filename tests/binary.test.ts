/**
 * The single binary, as a user gets it: dist/vllm-mlx copied alone into an empty directory, run with a
 * fresh HOME and cache. Builds nothing itself: `bash scripts/setup.sh` (CI's set-up) builds dist/vllm-mlx.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import pkg from "../package.json" with { type: "json" };

const REPO = resolve(import.meta.dir, "..");
const BINARY = join(REPO, "dist", "vllm-mlx");
const MLX_VERSION = "0.32.4";

let scratch = "";
let runDir = "";
let home = "";

beforeAll(() => {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run \`bash scripts/setup.sh\` first`);
  scratch = mkdtempSync(join(os.tmpdir(), "vllm-mlx-binary-"));
  runDir = join(scratch, "run");
  home = join(scratch, "home");
  mkdirSync(runDir);
  mkdirSync(home);
  copyFileSync(BINARY, join(runDir, "vllm-mlx"));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function runBinary(args: string[]) {
  const env = { PATH: "/usr/bin:/bin", HOME: home, XDG_CACHE_HOME: join(home, "cache") };
  const p = Bun.spawnSync([join(runDir, "vllm-mlx"), ...args], { cwd: runDir, env, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

describe("dist/vllm-mlx alone in an empty directory", () => {
  test("--version names the package, MLX and the backend", () => {
    const r = runBinary(["--version"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out.trim().split("\n")).toEqual([`vllm-mlx ${pkg.version}`, `MLX ${MLX_VERSION}`, "backend cpu",
      "kernels none (CPU backend: paged attention and KV writes run as MLX ops)"]);
    expect(readdirSync(runDir)).toEqual(["vllm-mlx"]);
  });

  test("doctor passes its checks from the private native cache", () => {
    const r = runBinary(["doctor"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("matmul check: ok (2x2 float32 = [[19, 22], [43, 50]]");
    expect(r.out).toContain(`mlx:               ${MLX_VERSION} (backend cpu)`);
    expect(r.out).toContain(join(home, "cache", "vllm-mlx", "native", ""));
    expect(r.out.trim().split("\n").at(-1)).toBe("doctor: ok");
    const dirs = readdirSync(join(home, "cache", "vllm-mlx", "native"));
    expect(dirs).toHaveLength(1);
    expect(dirs[0]).toMatch(new RegExp(`^\\d+\\.\\d+\\.\\d+-${MLX_VERSION.replaceAll(".", "\\.")}-cpu-[0-9a-f]{12}$`));
  });

  test("a second start reuses the unpacked libraries", () => {
    const r = runBinary(["doctor"]);
    expect(r.code).toBe(0);
    expect(readdirSync(join(home, "cache", "vllm-mlx", "native"))).toHaveLength(1);
  });
});

describe("a missing native library", () => {
  test("doctor exits 1 with the reason, not a stack trace", () => {
    const empty = mkdtempSync(join(os.tmpdir(), "vllm-mlx-nolib-"));
    try {
      const p = Bun.spawnSync([process.execPath, join(REPO, "src", "cli", "main.ts"), "doctor"], {
        cwd: REPO, env: { ...process.env, VLLM_MLX_LIB_DIR: empty }, stdout: "pipe", stderr: "pipe",
      });
      const output = p.stdout.toString() + p.stderr.toString();
      expect(p.exitCode).toBe(1);
      expect(output).toContain(`doctor: the MLX library is not usable: VLLM_MLX_LIB_DIR=${empty} has no libvmlx.`);
      expect(output).not.toContain("    at ");
      expect(output).not.toContain("doctor: ok");
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
