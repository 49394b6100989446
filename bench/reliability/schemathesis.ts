/**
 * Schemathesis (PyPI, pinned) against the server's `/openapi.json`, from a venv under .cache/ made the way
 * scripts/parity.sh makes its mlx-lm venv. Its hooks (schemathesis_hooks.py) keep completions tiny and log
 * every response, which this module reads back.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./server.ts";

export const SCHEMATHESIS_VERSION = "4.32.5";
const VENV = join(REPO_ROOT, ".cache", "schemathesis-venv");
const HOOKS = join(REPO_ROOT, "bench", "reliability", "schemathesis_hooks.py");

async function run(cmd: string[]): Promise<void> {
  const proc = Bun.spawn(cmd, { cwd: REPO_ROOT, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}:\n${out}${err}`);
}

function runsVersion(st: string): boolean {
  try {
    return Bun.spawnSync([st, "--version"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
  } catch {
    return false; // spawn itself failed: a missing interpreter
  }
}

/** Makes the venv once per version; returns the path of `st`. */
export async function ensureSchemathesis(log: (line: string) => void): Promise<string> {
  const marker = join(VENV, `.ok-${SCHEMATHESIS_VERSION}`);
  // A venv copied from another folder keeps scripts whose interpreter path no longer exists: make it anew.
  const usable = existsSync(marker) && runsVersion(join(VENV, "bin", "st"));
  if (!usable) {
    log(`schemathesis: installing schemathesis==${SCHEMATHESIS_VERSION} into ${VENV}`);
    rmSync(VENV, { recursive: true, force: true });
    await run(["python3", "-m", "venv", VENV]);
    await run([join(VENV, "bin", "pip"), "install", "--quiet", `schemathesis==${SCHEMATHESIS_VERSION}`]);
    await Bun.write(marker, "");
  }
  return join(VENV, "bin", "st");
}

export interface SchemathesisCall {
  operation: string;
  /** 0: a network error or timeout. */
  status: number;
  shaped: boolean;
  body?: string;
}

export interface SchemathesisRun {
  exitCode: number;
  calls: SchemathesisCall[];
  /** "Test cases: …" and the check failures from its summary; the whole output is in .cache/reliability/schemathesis.out. */
  summary: string;
  output: string;
}

/**
 * Runs `st run <url>/openapi.json` with the given budget.
 *
 * @example
 *   const result = await runSchemathesis(st, server.url, { maxExamples: 5, seed: 1 });
 */
export async function runSchemathesis(
  st: string,
  url: string,
  options: { maxExamples: number; seed: number; requestTimeoutSeconds?: number; deadlineMs?: number },
): Promise<SchemathesisRun> {
  const dir = join(REPO_ROOT, ".cache", "reliability");
  mkdirSync(dir, { recursive: true });
  const callsFile = join(dir, `schemathesis-calls-${process.pid}.jsonl`);
  rmSync(callsFile, { force: true });
  const args = [st, "run", `${url}/openapi.json`, "--checks", "not_a_server_error,response_schema_conformance",
    "-n", String(options.maxExamples), "--seed", String(options.seed), "-w", "1", "--no-shrink", "--no-color",
    "--request-timeout", String(options.requestTimeoutSeconds ?? 60), "--phases", "examples,coverage,fuzzing",
    "--generation-database", "none", "--suppress-health-check", "all"];
  const proc = Bun.spawn(args, {
    cwd: dir, stdout: "pipe", stderr: "pipe",
    env: { ...process.env, SCHEMATHESIS_HOOKS: HOOKS, RELIABILITY_CALLS: callsFile, NO_COLOR: "1" },
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.deadlineMs ?? 600_000);
  const [out, err, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  const calls = existsSync(callsFile)
    ? readFileSync(callsFile, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as SchemathesisCall)
    : [];
  rmSync(callsFile, { force: true });
  const output = out + err;
  await Bun.write(join(dir, "schemathesis.out"), output);
  const summary = output.split("\n").filter((l) => /Test cases:|generated|failures?\b|❌/.test(l)).map((l) => l.trim()).join("; ");
  return { exitCode, calls, summary, output };
}
