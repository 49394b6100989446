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
    for (const cmd of ["doctor", "serve"]) {
      const r = cli([cmd, "--help"]);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`vllm-mlx ${cmd}`);
    }
    expect(cli(["serve", "--help"]).out).toContain("(Default: 127.0.0.1)");
  });

  test("serve parses its flags and says the server has not landed", () => {
    const r = cli(["serve", "some/model", "--port", "9001", "--host", "0.0.0.0", "--log-level", "debug"]);
    expect(r.code).toBe(0);
    const output = r.out + r.err;
    expect(output).toContain("no model support yet");
    expect(output).toContain("some/model, 0.0.0.0:9001");
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
