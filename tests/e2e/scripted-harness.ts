/**
 * Starts `dist/vllm-mlx serve` from an empty working directory and home on a free port, for the scripted e2e
 * tests. Builds nothing: `bash scripts/setup.sh` builds dist/vllm-mlx.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import OpenAI from "openai";

export const BINARY = join(resolve(import.meta.dir, "..", ".."), "dist", "vllm-mlx");

/** A running server: its base URL, an `openai` client, its log, and a stop function. */
export interface RunningServer {
  base: string;
  client: OpenAI;
  logs: () => string;
  stop: () => Promise<void>;
}

/** The KV budget each server gets unless its flags set one: the tests' models are tiny, and the pool would grow toward the machine's memory. */
export const DEFAULT_KV_CACHE_MEMORY = "64M";

/** Flags that set the KV budget themselves. */
const KV_BUDGET_FLAGS = ["--kv-cache-memory", "--max-cache-blocks"];

/** `flags`, plus `--kv-cache-memory` {@link DEFAULT_KV_CACHE_MEMORY} when none of them sets the KV budget. */
export function withKvBudget(flags: readonly string[]): string[] {
  const sets = flags.some((f) => KV_BUDGET_FLAGS.some((k) => f === k || f.startsWith(`${k}=`)));
  return sets ? [...flags] : [...flags, "--kv-cache-memory", DEFAULT_KV_CACHE_MEMORY];
}

function freePort(): number {
  const probe = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

async function drain(stream: ReadableStream<Uint8Array>, sink: (text: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) sink(decoder.decode(chunk));
}

/**
 * Serves `modelDir` as `name` with extra flags (and a small KV budget unless they set one: {@link withKvBudget});
 * resolves once /health answers 200.
 *
 * @example
 *   const server = await startServer(dir, "scripted", ["--max-num-seqs", "16"]);
 *   await server.client.chat.completions.create({ model: "scripted", messages });
 */
export async function startServer(modelDir: string, name: string, flags: string[] = [], apiKey = "unused"): Promise<RunningServer> {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run \`bash scripts/setup.sh\` (or \`bun scripts/build.ts\`) first`);
  const scratch = mkdtempSync(join(os.tmpdir(), "vllm-mlx-scripted-e2e-"));
  const [cwd, home] = [join(scratch, "cwd"), join(scratch, "home")];
  mkdirSync(cwd);
  mkdirSync(home);
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  let logs = "";
  const child = Bun.spawn([BINARY, "serve", modelDir, "--port", String(port), "--served-model-name", name, ...withKvBudget(flags)], {
    cwd,
    env: { PATH: "/usr/bin:/bin", HOME: home, XDG_CACHE_HOME: join(home, "cache"), HF_HUB_OFFLINE: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  void drain(child.stdout, (t) => (logs += t));
  void drain(child.stderr, (t) => (logs += t));
  const stop = async () => {
    child.kill("SIGKILL");
    await child.exited;
    rmSync(scratch, { recursive: true, force: true });
  };
  const deadline = Date.now() + 90_000;
  for (;;) {
    const healthy = await fetch(`${base}/health`).then((r) => r.status === 200, () => false);
    if (healthy) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`server did not become healthy:\n${logs}`);
    }
    await Bun.sleep(100);
  }
  return { base, client: new OpenAI({ baseURL: `${base}/v1`, apiKey, maxRetries: 0 }), logs: () => logs, stop };
}
