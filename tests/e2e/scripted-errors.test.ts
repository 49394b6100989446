/**
 * Seeded sampling and every error status the server can honestly be driven to, end to end: the compiled
 * binary from an empty directory, the real `openai` client (raw fetch/TCP where the client would hide it).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import OpenAI from "openai";
import { writeFixtureModel } from "../../src/engine/frontend/testing/fixture-model.ts";
import { type ScriptedModel, TOOL_CALL_SCRIPT, writeScriptedModel } from "../../src/engine/frontend/testing/scripted-model.ts";
import { type RunningServer, startServer } from "./scripted-harness.ts";

const KEY = "sk-e2e-secret";
const CONTEXT = 256;
let fixtureDir = "";
let scripted: ScriptedModel;
let random: RunningServer;
let guarded: RunningServer;

beforeAll(async () => {
  fixtureDir = writeFixtureModel();
  scripted = writeScriptedModel(TOOL_CALL_SCRIPT, { maxPositionEmbeddings: CONTEXT });
  [random, guarded] = await Promise.all([
    startServer(fixtureDir, "random", ["--max-num-seqs", "1"]),
    startServer(scripted.dir, "guarded", ["--api-key", KEY], KEY),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([random?.stop(), guarded?.stop()]);
  rmSync(fixtureDir, { recursive: true, force: true });
  if (scripted) rmSync(scripted.dir, { recursive: true, force: true });
});

const hi = [{ role: "user" as const, content: "Tell me a story." }];
const caught = async (work: () => Promise<unknown>) => work().then(() => null, (e: unknown) => e);

async function post(server: RunningServer, path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.base}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  return { status: res.status, headers: res.headers, body: (await res.json()) as { error: Record<string, unknown> } };
}

describe("seeded sampling (random fixture, temperature 1)", () => {
  const sampled = (seed: number) =>
    random.client.chat.completions.create({ model: "random", messages: hi, max_tokens: 24, temperature: 1, seed });

  test("the same seed gives the same text; another seed gives another", async () => {
    const a = (await sampled(1234)).choices[0]!.message.content;
    const b = (await sampled(1234)).choices[0]!.message.content;
    const c = (await sampled(4321)).choices[0]!.message.content;
    expect(a!.length).toBeGreaterThan(0);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  test("a seeded stream reproduces the seeded non-streamed text", async () => {
    const expected = (await sampled(99)).choices[0]!.message.content;
    const stream = await random.client.chat.completions.create({ model: "random", messages: hi, max_tokens: 24, temperature: 1, seed: 99, stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe(expected!);
  });
});

describe("error statuses", () => {
  test("400: a bad value names its param; malformed JSON and missing messages are 400 too", async () => {
    const bad = await caught(() => guarded.client.chat.completions.create({ model: "guarded", messages: hi, temperature: 9 }));
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("temperature");
    const auth = { authorization: `Bearer ${KEY}` };
    for (const body of ["{not json", JSON.stringify({ model: "guarded" })]) {
      const res = await post(guarded, "/v1/chat/completions", body, auth);
      expect(res.status).toBe(400);
      expect(res.body.error.type).toBe("invalid_request_error");
    }
  });

  test("401: no key or a wrong key; /health stays open", async () => {
    const wrong = new OpenAI({ baseURL: `${guarded.base}/v1`, apiKey: "sk-wrong", maxRetries: 0 });
    expect(await caught(() => wrong.chat.completions.create({ model: "guarded", messages: hi }))).toBeInstanceOf(OpenAI.AuthenticationError);
    const none = await post(guarded, "/v1/chat/completions", JSON.stringify({ model: "guarded", messages: hi }));
    expect(none.status).toBe(401);
    expect(typeof none.body.error.message).toBe("string");
    expect((await fetch(`${guarded.base}/health`)).status).toBe(200);
    const ok = await guarded.client.chat.completions.create({ model: "guarded", messages: hi, temperature: 0 });
    expect(ok.choices[0]!.message.content).toBe(TOOL_CALL_SCRIPT);
  });

  test("404: unknown model and unknown route", async () => {
    const model = await caught(() => guarded.client.chat.completions.create({ model: "no-such-model", messages: hi }));
    expect(model).toBeInstanceOf(OpenAI.NotFoundError);
    const route = await post(guarded, "/v1/no-such-route", "{}", { authorization: `Bearer ${KEY}` });
    expect(route.status).toBe(404);
    expect(route.body.error.code).toBe("not_found");
  });

  test("a prompt longer than the context (400, as OpenAI), and a body over the 32 MiB limit (413)", async () => {
    const long = [{ role: "user" as const, content: "word ".repeat(CONTEXT * 2) }];
    const tooLong = await caught(() => guarded.client.chat.completions.create({ model: "guarded", messages: long }));
    expect(tooLong).toBeInstanceOf(OpenAI.BadRequestError);
    expect((tooLong as InstanceType<typeof OpenAI.APIError>).message).toContain(`maximum context length is ${CONTEXT} tokens`);
    expect((tooLong as InstanceType<typeof OpenAI.APIError>).code).toBe("context_length_exceeded");
    const huge = JSON.stringify({ model: "guarded", messages: [{ role: "user", content: "x".repeat(33 * 1024 * 1024) }] });
    const res = await post(guarded, "/v1/chat/completions", huge, { authorization: `Bearer ${KEY}` });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("request_too_large");
  });

  test("429: with --max-num-seqs 1, the request after 1 running + 256 waiting is refused, then served again", async () => {
    const port = Number(new URL(random.base).port);
    const body = JSON.stringify({ model: "random", messages: hi, max_tokens: 3000, temperature: 0, stream: true });
    const request = `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    // Raw sockets: fetch would queue past its own 256-connection limit instead of reaching the server.
    const sockets = await Promise.all(Array.from({ length: 257 }, () =>
      Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {}, open(s) { s.write(request); } } })));
    try {
      let waiting = 0;
      for (let i = 0; i < 100 && waiting < 256; i++) {
        await Bun.sleep(50);
        waiting = ((await (await fetch(`${random.base}/health`)).json()) as { stats: { waiting: number } }).stats.waiting;
      }
      expect(waiting).toBe(256);
      const refused = await caught(() => random.client.chat.completions.create({ model: "random", messages: hi, max_tokens: 2 }));
      expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
      const raw = await post(random, "/v1/chat/completions", JSON.stringify({ model: "random", messages: hi, max_tokens: 2 }));
      expect(raw.status).toBe(429);
      expect(raw.body.error).toMatchObject({ type: "rate_limit_error", code: "rate_limit_exceeded" });
      expect(raw.headers.get("retry-after")).toBe("1");
    } finally {
      for (const s of sockets) s.end();
    }
    let running = -1;
    for (let i = 0; i < 100 && running !== 0; i++) {
      await Bun.sleep(50);
      running = ((await (await fetch(`${random.base}/health`)).json()) as { stats: { running: number } }).stats.running;
    }
    expect(running).toBe(0);
    const again = await random.client.chat.completions.create({ model: "random", messages: hi, max_tokens: 2, temperature: 0 });
    expect(again.choices[0]!.finish_reason).toBe("length");
  }, 60_000);
});
