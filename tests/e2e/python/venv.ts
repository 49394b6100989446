/** The venv holding the official Python `openai` client (PyPI, pinned), created on first use (needs PyPI). */
import { existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";

export const OPENAI_PY = "3.51.0";
const ROOT = resolve(import.meta.dir, "..", "..", "..");
const VENV = join(ROOT, ".cache", "py-openai-venv");
export const PYTHON = join(VENV, "bin", "python");

/** Runs a command to its end and collects its output. */
export async function run(cmd: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { code, stdout, stderr };
}

/** Makes .cache/py-openai-venv with openai==OPENAI_PY (and the pydantic it depends on) unless it is there. */
export async function ensureVenv(): Promise<void> {
  const version = existsSync(PYTHON) ? await run([PYTHON, "-c", "import openai; print(openai.__version__)"]) : null;
  if (version?.code === 0 && version.stdout.trim() === OPENAI_PY) return;
  rmSync(VENV, { recursive: true, force: true });
  for (const cmd of [["python3", "-m", "venv", VENV], [join(VENV, "bin", "pip"), "install", "-q", `openai==${OPENAI_PY}`]]) {
    const r = await run(cmd);
    if (r.code !== 0) throw new Error(`${cmd.join(" ")} failed (${r.code}):\n${r.stderr}`);
  }
}
