import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parsePort } from "./serve.ts";
import { versionReport } from "./version.ts";

const MAIN = join(import.meta.dir, "main.ts");

function cli(args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawnSync([process.execPath, MAIN, ...args], {
    env: { ...process.env, NO_COLOR: "1", ...env }, stdout: "pipe", stderr: "pipe",
  });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

describe("vllm-mlx CLI", () => {
  test("--version reports the loaded library", async () => {
    const report = await versionReport();
    expect(report.ok).toBe(true);
    expect(report.lines[0]).toMatch(/^vllm-mlx \d+\.\d+\.\d+/);
    expect(report.lines[1]).toBe("MLX 0.32.4");
    expect(report.lines[2]).toMatch(/^backend (cpu|cuda|metal)$/);
  });

  test("--help works on the root and on every command", () => {
    const root = cli(["--help"]);
    expect(root.code).toBe(0);
    expect(root.out).toContain("doctor");
    expect(root.out).toContain("serve");
    for (const cmd of ["doctor", "serve", "download"]) {
      const r = cli([cmd, "--help"]);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`vllm-mlx ${cmd}`);
    }
    expect(cli(["serve", "--help"]).out).toContain("(Default: 127.0.0.1)");
  });

  test("serve without a model and without the default model says how to pass one, exit code 2", () => {
    const r = cli(["serve", "--port", "9001"], { VLLM_MLX_DEFAULT_MODEL: "/nonexistent/default.gguf" });
    expect(r.code).toBe(2);
    expect(r.out + r.err).toContain("no model given: pass a Hugging Face repo id, a model folder or a .gguf file");
  });

  test("serve with a missing model folder fails with its path", () => {
    const r = cli(["serve", "./no-such-model-dir"]);
    expect(r.code).toBe(1);
    expect(r.out + r.err).toContain("no-such-model-dir");
  });

  test("serve rejects a bad port or log level with exit code 2", () => {
    const port = cli(["serve", "--port", "70000"]);
    expect(port.code).toBe(2);
    expect(port.out + port.err).toContain("--port must be a whole number from 1 to 65535 (got '70000')");
    expect(cli(["serve", "--log-level", "loud"]).code).toBe(2);
  });

  test("parsePort", () => {
    expect(parsePort("8000")).toBe(8000);
    expect(parsePort("0")).toBeNull();
    expect(parsePort("65536")).toBeNull();
    expect(parsePort("80a")).toBeNull();
  });

  test("an unknown command fails", () => {
    expect(cli(["frobnicate"]).code).toBe(1);
  });
});
