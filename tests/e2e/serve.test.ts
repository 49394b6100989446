/**
 * The compiled binary serving a tiny random-weight Qwen3 (real Qwen3 tokenizer) from an empty working
 * directory, driven by the real `openai` client. Builds nothing: `bash scripts/setup.sh` builds dist/vllm-mlx.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import OpenAI from "openai";
import { writeFixtureModel } from "../../src/engine/frontend/testing/fixture-model.ts";
import { collectChatStream } from "../../src/server/testing/chat-stream.ts";

const BINARY = join(resolve(import.meta.dir, "..", ".."), "dist", "vllm-mlx");
const MODEL = "fixture";

let scratch = "";
let modelDir = "";
let server: ReturnType<typeof Bun.spawn> | null = null;
let base = "";
let client: OpenAI;
let logs = "";

function freePort(): number {
  const probe = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

async function waitHealthy(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${base}/health`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await Bun.sleep(100);
  }
  throw new Error(`server did not become healthy:\n${logs}`);
}

async function collect(stream: ReadableStream<Uint8Array> | null): Promise<void> {
  if (!stream) return;
  const decoder = new TextDecoder();
  for await (const chunk of stream) logs += decoder.decode(chunk);
}

beforeAll(async () => {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run \`bash scripts/setup.sh\` (or \`bun scripts/build.ts\`) first`);
  scratch = mkdtempSync(join(os.tmpdir(), "vllm-mlx-e2e-"));
  const cwd = join(scratch, "cwd");
  const home = join(scratch, "home");
  mkdirSync(cwd);
  mkdirSync(home);
  modelDir = writeFixtureModel();
  const port = freePort();
  base = `http://127.0.0.1:${port}`;
  server = Bun.spawn([BINARY, "serve", modelDir, "--port", String(port), "--served-model-name", MODEL, "--max-num-seqs", "4"], {
    cwd,
    env: { PATH: "/usr/bin:/bin", HOME: home, XDG_CACHE_HOME: join(home, "cache"), HF_HUB_OFFLINE: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  void collect(server.stdout as ReadableStream<Uint8Array>);
  void collect(server.stderr as ReadableStream<Uint8Array>);
  await waitHealthy(60_000);
  client = new OpenAI({ baseURL: `${base}/v1`, apiKey: "unused", maxRetries: 0 });
}, 90_000);

afterAll(() => {
  server?.kill("SIGKILL");
  rmSync(scratch, { recursive: true, force: true });
  rmSync(modelDir, { recursive: true, force: true });
});

const hi = [{ role: "user" as const, content: "Tell me a story." }];

async function greedyChat(maxTokens: number, extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) {
  return client.chat.completions.create({ model: MODEL, messages: hi, max_tokens: maxTokens, temperature: 0, ...extra });
}

describe("vllm-mlx serve (compiled binary, openai client)", () => {
  test("startup logs one line with the URL", () => {
    expect(logs).toContain(`serving ${MODEL} at ${base}/v1`);
  });

  test("chat, not streamed: text, finish_reason and usage", async () => {
    const completion = await greedyChat(12);
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe("length");
    expect(choice.message.content!.length).toBeGreaterThan(0);
    expect(completion.usage).toMatchObject({ completion_tokens: 12 });
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(5);
    expect(completion.model).toBe(MODEL);
  });

  test("chat, streamed: the same greedy text, finish_reason in the last chunk, usage", async () => {
    const expected = (await greedyChat(12)).choices[0]!.message.content;
    const stream = await client.chat.completions.create({
      model: MODEL, messages: hi, max_tokens: 12, temperature: 0, stream: true, stream_options: { include_usage: true },
    });
    const { text, finish, usage } = await collectChatStream(stream);
    expect(text).toBe(expected!);
    expect(finish).toBe("length");
    expect(usage).toMatchObject({ completion_tokens: 12 });
  });

  test("completions", async () => {
    const completion = await client.completions.create({ model: MODEL, prompt: "Once upon a time", max_tokens: 6, temperature: 0 });
    expect(completion.choices[0]!.text.length).toBeGreaterThan(0);
    expect(completion.usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 6, total_tokens: 10 });
  });

  test("n=2: two choices, each finished, usage sums both", async () => {
    const completion = await greedyChat(5, { n: 2 });
    expect(completion.choices.map((c) => c.index).sort()).toEqual([0, 1]);
    expect(completion.choices[0]!.message.content).toBe(completion.choices[1]!.message.content);
    expect(completion.choices.every((c) => c.finish_reason === "length")).toBe(true);
    expect(completion.usage!.completion_tokens).toBe(10);
  });

  test("a stop string trims the text and finishes with stop", async () => {
    const full = (await greedyChat(24)).choices[0]!.message.content!;
    const stop = full.slice(Math.floor(full.length / 2), Math.floor(full.length / 2) + 3);
    const cut = full.indexOf(stop);
    const stopped = await greedyChat(24, { stop: [stop] });
    expect(stopped.choices[0]!.message.content).toBe(full.slice(0, cut));
    expect(stopped.choices[0]!.finish_reason).toBe("stop");
    expect(stopped.usage!.completion_tokens).toBeLessThan(24);
  });

  test("logprobs: one entry per token, greedy token is the top alternative", async () => {
    const completion = await greedyChat(6, { logprobs: true, top_logprobs: 3 });
    const content = completion.choices[0]!.logprobs!.content!;
    expect(content).toHaveLength(6);
    for (const item of content) {
      expect(item.top_logprobs).toHaveLength(3);
      expect(item.top_logprobs[0]!.token).toBe(item.token);
      expect(item.top_logprobs[0]!.logprob).toBeCloseTo(item.logprob, 5);
      expect(item.logprob).toBeLessThanOrEqual(0);
      expect(item.top_logprobs[1]!.logprob).toBeLessThanOrEqual(item.top_logprobs[0]!.logprob);
    }
    const bytes = content.flatMap((c) => c.bytes ?? []);
    expect(new TextDecoder().decode(new Uint8Array(bytes))).toBe(completion.choices[0]!.message.content!);
  });

  test("/health answers in < 50 ms while a long generation runs", async () => {
    const long = fetch(`${base}/v1/completions`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, prompt: "Count:", max_tokens: 150, temperature: 0 }),
    });
    await Bun.sleep(300);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const health = await (await fetch(`${base}/health`)).json() as { stats: { running: number } };
      times.push(performance.now() - started);
      expect(health.stats.running).toBe(1);
      await Bun.sleep(50);
    }
    expect(Math.max(...times)).toBeLessThan(50);
    expect((await long).status).toBe(200);
  });

  test("a client abort mid-stream frees the request; the server stays healthy", async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: MODEL, messages: hi, max_tokens: 2000, temperature: 0, stream: true },
      { signal: controller.signal },
    );
    let chunks = 0;
    try {
      for await (const _ of stream) if (++chunks === 5) controller.abort();
    } catch {
      // the client raises on abort
    }
    expect(chunks).toBe(5);
    let running = -1;
    for (let i = 0; i < 40 && running !== 0; i++) {
      await Bun.sleep(50);
      running = ((await (await fetch(`${base}/health`)).json()) as { stats: { running: number } }).stats.running;
    }
    expect(running).toBe(0);
    expect((await greedyChat(3)).choices[0]!.finish_reason).toBe("length");
  });

  test("bad requests get OpenAI's error shape", async () => {
    const caught = async (work: () => Promise<unknown>) => work().then(() => null, (e: unknown) => e);
    const bad = await caught(() => greedyChat(4, { temperature: 9 }));
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("temperature");
    expect(await caught(() => client.chat.completions.create({ model: "other", messages: hi }))).toBeInstanceOf(OpenAI.NotFoundError);
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages: hi, max_tokens: 5000 }), // past the 4096 context
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ type: "invalid_request_error", code: "context_length_exceeded" });
    // Far past it (n × max_tokens over 16 contexts) the request is refused as malformed before any tokenizing.
    const huge = await fetch(`${base}/v1/chat/completions`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages: hi, max_tokens: 100_000 }),
    });
    expect(huge.status).toBe(400);
    expect(String(body.error.message)).toContain("This model's maximum context length is 4096 tokens");
  });

  test("SIGTERM shuts down with exit code 0", async () => {
    server!.kill("SIGTERM");
    expect(await server!.exited).toBe(0);
    expect(logs).toContain("SIGTERM: shutting down");
  });
});
