/**
 * The id `serve` shows for its model, through the real CLI: short and readable on /v1/models and /health (no
 * absolute path), while the path given and "default" stay accepted as `model`.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeTinyModel } from "../models/gguf-testing.ts";

const MAIN = join(import.meta.dir, "main.ts");
const root = mkdtempSync(join(tmpdir(), "vmlx-model-id-"));
const servers: Bun.Subprocess[] = [];
afterAll(async () => {
  for (const s of servers) s.kill("SIGTERM");
  await Promise.all(servers.map((s) => s.exited));
  rmSync(root, { recursive: true, force: true });
});

/** Starts `serve` (tiny KV pool: 64 blocks of 32 tokens, the fixture's 2048-token context) and waits for /health. */
async function startServer(args: string[], env: Record<string, string> = {}): Promise<string> {
  const probe = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  const argv = [process.execPath, MAIN, "serve", ...args, "--port", String(port), "--max-cache-blocks", "64", "--paged-cache-block-size", "32"];
  const proc = Bun.spawn(argv, { cwd: root, env: { ...process.env, NO_COLOR: "1", ...env }, stdout: "ignore", stderr: "pipe" });
  servers.push(proc);
  const base = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await Bun.sleep(200)) {
    if (proc.exitCode !== null) throw new Error(`serve exited: ${await new Response(proc.stderr).text()}`);
    if ((await fetch(`${base}/health`).catch(() => null))?.status === 200) return base;
  }
  throw new Error("serve did not become healthy");
}

async function chatStatus(base: string, model: string): Promise<number> {
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], max_tokens: 2 }),
  });
  await res.arrayBuffer();
  return res.status;
}

const paths = await writeTinyModel(root, { arch: "llama" });

describe("served model ids", () => {
  test("the default model is SmolLM2-135M-Instruct; its path and 'default' are still accepted", async () => {
    const gguf = join(root, "SmolLM2-135M-Instruct.Q4_1.gguf");
    copyFileSync(paths.gguf, gguf);
    const base = await startServer([], { VLLM_MLX_DEFAULT_MODEL: gguf });
    const models = (await (await fetch(`${base}/v1/models`)).json()) as { data: { id: string; root: string }[] };
    expect(models.data.map((m) => [m.id, m.root])).toEqual([["SmolLM2-135M-Instruct", "SmolLM2-135M-Instruct"]]);
    const health = await (await fetch(`${base}/health`)).text();
    expect(JSON.parse(health).model).toBe("SmolLM2-135M-Instruct");
    expect(health).not.toContain(root);
    expect(await chatStatus(base, "SmolLM2-135M-Instruct")).toBe(200);
    expect(await chatStatus(base, gguf)).toBe(200);
    expect(await chatStatus(base, "default")).toBe(200);
    // A request's model is a name, never a path to open: another file's path is just an unknown name.
    expect(await chatStatus(base, paths.gguf)).toBe(404);
  }, 120_000);

  test("a folder is served under its name; --served-model-name wins over it", async () => {
    const dir = join(root, "tiny-llama");
    renameSync(paths.hfDir, dir);
    const base = await startServer(["./tiny-llama"]);
    const models = (await (await fetch(`${base}/v1/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual(["tiny-llama"]);
    expect(await chatStatus(base, "./tiny-llama")).toBe(200);
    const named = await startServer([dir, "--served-model-name", "my-llama"]);
    expect(((await (await fetch(`${named}/health`)).json()) as { model: string }).model).toBe("my-llama");
    expect(await chatStatus(named, "my-llama")).toBe(200);
    expect(await chatStatus(named, dir)).toBe(200);
  }, 120_000);
});
