import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { createApp } from "./app.ts";
import { type ServerHandle, serve } from "./serve.ts";
import { FakeEngine, type FakeScript } from "./testing/fake-engine.ts";
import { collectChatStream } from "./testing/chat-stream.ts";
import { MemoryLogger } from "./testing/helpers.ts";

const TOOL_OUTPUT = 'Let me look.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';

function script(request: { kind: string; tools?: unknown[] }): FakeScript {
  if (request.kind === "chat" && request.tools) return { outputs: [TOOL_OUTPUT.match(/[\s\S]{1,4}/g)!] };
  if (request.kind === "completion") return { outputs: [[" upon", " a", " time"]], promptTokens: 2 };
  return { outputs: [["Hello", ",", " world"]], promptTokens: 6, tokenDelayMs: 2 };
}

describe("end to end with the openai client", () => {
  const engine = new FakeEngine(script);
  let handle: ServerHandle;
  let client: OpenAI;

  beforeAll(async () => {
    handle = await serve(createApp({ engine, servedModelName: "test-model", apiKey: "sk-e2e", logger: new MemoryLogger() }), { port: 0 });
    client = new OpenAI({ baseURL: new URL("/v1", handle.url).href, apiKey: "sk-e2e", maxRetries: 0 });
  });
  afterAll(() => handle.stop(1000));

  test("models.list", async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual(["test-model"]);
  });

  test("chat, not streamed", async () => {
    const completion = await client.chat.completions.create({ model: "test-model", messages: [{ role: "user", content: "Hi" }] });
    expect(completion.choices[0]!.message.content).toBe("Hello, world");
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    expect(completion.usage).toMatchObject({ prompt_tokens: 6, completion_tokens: 3, total_tokens: 9 });
  });

  test("chat, streamed with usage", async () => {
    const stream = await client.chat.completions.create({
      model: "test-model",
      messages: [{ role: "user", content: "Hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const { text, finish, usage } = await collectChatStream(stream);
    expect(text).toBe("Hello, world");
    expect(finish).toBe("stop");
    expect(usage).toMatchObject({ prompt_tokens: 6, completion_tokens: 3 });
  });

  test("completion", async () => {
    const completion = await client.completions.create({ model: "test-model", prompt: "Once", max_tokens: 3 });
    expect(completion.choices[0]!.text).toBe(" upon a time");
    expect(completion.usage?.total_tokens).toBe(5);
  });

  const tools: OpenAI.ChatCompletionTool[] = [
    { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } },
  ];

  test("tool call, not streamed", async () => {
    const completion = await client.chat.completions.create({ model: "test-model", messages: [{ role: "user", content: "Weather?" }], tools });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBe("Let me look.");
    const call = choice.message.tool_calls![0]!;
    if (call.type !== "function") throw new Error("expected a function call");
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "Paris" });
  });

  test("tool call, streamed: the client's accumulator sees one call", async () => {
    const runner = client.chat.completions.stream({ model: "test-model", messages: [{ role: "user", content: "Weather?" }], tools });
    const final = await runner.finalChatCompletion();
    const message = final.choices[0]!.message;
    expect(message.content).toBe("Let me look.");
    expect(message.tool_calls).toHaveLength(1);
    const call = message.tool_calls![0]!;
    if (call.type !== "function") throw new Error("expected a function call");
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "Paris" });
    expect(final.choices[0]!.finish_reason).toBe("tool_calls");
  });

  test("errors surface as typed client errors", async () => {
    const caught = async (work: () => Promise<unknown>) => {
      try {
        await work();
      } catch (error) {
        return error;
      }
      return null;
    };
    const bad = await caught(() => client.chat.completions.create({ model: "test-model", messages: [{ role: "user", content: "x" }], temperature: 9 }));
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("temperature");
    const anon = new OpenAI({ baseURL: new URL("/v1", handle.url).href, apiKey: "wrong", maxRetries: 0 });
    expect(await caught(() => anon.models.list())).toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

const JSON_HEADERS = { "content-type": "application/json" };

describe("graceful shutdown", () => {
  test("lets a running stream finish, then refuses new connections", async () => {
    const engine = new FakeEngine(() => ({ outputs: [["a", "b", "c", "d"]], tokenDelayMs: 30 }));
    const handle = await serve(createApp({ engine, logger: new MemoryLogger() }), { port: 0 });
    const url = new URL("/v1/completions", handle.url);
    const res = await fetch(url, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ prompt: "x", stream: true }) });
    const text = res.text();
    await Bun.sleep(10);
    await handle.stop(2000);
    expect(await text).toContain("data: [DONE]");
    expect(engine.aborted).toHaveLength(0);
    await expect(fetch(url, { method: "POST", body: "{}" })).rejects.toThrow();
  });
  test("aborts streams still running after the grace period", async () => {
    const engine = new FakeEngine(() => ({ outputs: [Array(500).fill("t")], tokenDelayMs: 10 }));
    const handle = await serve(createApp({ engine, logger: new MemoryLogger() }), { port: 0 });
    const res = await fetch(new URL("/v1/completions", handle.url), { method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ prompt: "x", stream: true }) });
    const text = res.text().catch(() => "");
    await Bun.sleep(20);
    const started = performance.now();
    await handle.stop(100);
    expect(performance.now() - started).toBeLessThan(1500);
    expect(engine.aborted).toHaveLength(1);
    expect(await text).toContain('"finish_reason":"abort"');
  });
});
