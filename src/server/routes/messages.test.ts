import { describe, expect, test } from "bun:test";
import { ContextLengthError } from "../../engine/protocol.ts";
import { FakeEngine, type FakeScript } from "../testing/fake-engine.ts";
import { post, readSse, testApp } from "../testing/helpers.ts";

const THINK = { reasoning: { start: "<think>", end: "</think>" } };
const CALL = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';
const tools = [{ name: "get_weather", description: "Weather", input_schema: { type: "object", properties: { city: { type: "string" } } } }];
const body = (extra: Record<string, unknown> = {}) => ({
  model: "test-model",
  max_tokens: 64,
  messages: [{ role: "user", content: "Hi" }],
  ...extra,
});

function app(script: FakeScript, info = {}) {
  return testApp(new FakeEngine(() => script, info));
}

/** Reads an Anthropic stream: every frame's `event:` name must equal its payload's `type`. */
async function events(response: Response): Promise<Record<string, any>[]> {
  const raw = await response.text();
  const out: Record<string, any>[] = [];
  for (const frame of raw.split("\n\n").filter((f) => f !== "")) {
    const [eventLine, dataLine] = frame.split("\n");
    expect(eventLine!.startsWith("event: ")).toBe(true);
    const payload = JSON.parse(dataLine!.slice("data: ".length));
    expect(payload.type).toBe(eventLine!.slice("event: ".length));
    out.push(payload);
  }
  expect(raw).not.toContain("[DONE]");
  return out;
}

describe("POST /v1/messages", () => {
  test("not streamed: thinking, text and tool_use blocks, stop_reason tool_use, usage", async () => {
    const { app: a } = app({ outputs: [["<think>", "plan", "</think>", "\n\n", "Sure.", CALL]], promptTokens: 9 }, THINK);
    const res = await post(a, "/v1/messages", body({ tools }));
    expect(res.status).toBe(200);
    const m = await res.json();
    expect(m).toMatchObject({ type: "message", role: "assistant", model: "test-model", stop_reason: "tool_use", stop_sequence: null });
    expect(m.id).toStartWith("msg_");
    expect(m.content).toHaveLength(3);
    expect(m.content[0]).toEqual({ type: "thinking", thinking: "plan", signature: "" });
    expect(m.content[1]).toEqual({ type: "text", text: "Sure.", citations: null });
    expect(m.content[2]).toMatchObject({ type: "tool_use", name: "get_weather", input: { city: "Paris" } });
    expect(m.content[2].id).toStartWith("toolu_");
    expect(m.usage).toMatchObject({ input_tokens: 9, output_tokens: 6 });
  });

  test("streamed: Anthropic's exact event sequence, deltas per block kind", async () => {
    const { app: a } = app({ outputs: [["<think>", "plan", "</think>", "Sure", ".", CALL]] }, THINK);
    const list = await events(await post(a, "/v1/messages", body({ tools, stream: true })));
    expect(list.map((e) => (e.type === "content_block_delta" ? `delta:${e.delta.type}` : e.type))).toEqual([
      "message_start",
      "ping",
      "content_block_start",
      "delta:thinking_delta",
      "content_block_stop",
      "content_block_start",
      "delta:text_delta",
      "delta:text_delta",
      "content_block_stop",
      "content_block_start",
      "delta:input_json_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(list[0]!.message).toMatchObject({ content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 5, output_tokens: 0 } });
    expect(list[2]).toEqual({ type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "", signature: "" } });
    expect(list[5]).toEqual({ type: "content_block_start", index: 1, content_block: { type: "text", text: "", citations: null } });
    expect(list[9]!.content_block).toMatchObject({ type: "tool_use", name: "get_weather", input: {} });
    expect(JSON.parse(list[10]!.delta.partial_json)).toEqual({ city: "Paris" });
    expect(list.filter((e) => e.type === "content_block_stop").map((e) => e.index)).toEqual([0, 1, 2]);
    expect(list[12]).toMatchObject({ delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 6 } });
  });

  test("stop reasons: end_turn, max_tokens, stop_sequence naming the sequence", async () => {
    const cases: [FakeScript, Record<string, unknown>][] = [
      [{ outputs: [["Hi"]] }, { stop_reason: "end_turn", stop_sequence: null }],
      [{ outputs: [["Hi"]], finishReason: "length" }, { stop_reason: "max_tokens", stop_sequence: null }],
      [{ outputs: [["Hi"]], stopString: "END" }, { stop_reason: "stop_sequence", stop_sequence: "END" }],
    ];
    for (const [script, expected] of cases) {
      const { app: a } = app(script);
      expect(await (await post(a, "/v1/messages", body({ stop_sequences: ["END"] }))).json()).toMatchObject(expected);
      const list = await events(await post(a, "/v1/messages", body({ stop_sequences: ["END"], stream: true })));
      expect(list.find((e) => e.type === "message_delta")!.delta).toMatchObject(expected);
    }
  });

  test("translation: system, tool_use / tool_result round trip, sampling, stop_sequences, thinking disabled", async () => {
    const { app: a, engine } = app({ outputs: [["ok"]] });
    const res = await post(a, "/v1/messages", {
      ...body({ tools, temperature: 0.5, top_p: 0.9, top_k: 20, stop_sequences: ["\n\nUser:"], thinking: { type: "disabled" } }),
      system: [{ type: "text", text: "Be brief." }],
      metadata: { user_id: "u-1" },
      messages: [
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: [{ type: "thinking", thinking: "use the tool", signature: "x" }, { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "18C" }] }, { type: "text", text: "Thanks" }] },
      ],
    });
    expect(res.status).toBe(200);
    const request = engine.requests[0]!;
    if (request.kind !== "chat") throw new Error("expected a chat request");
    expect(request.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Weather in Paris?" },
      {
        role: "assistant",
        content: null,
        reasoning_content: "use the tool",
        tool_calls: [{ id: "toolu_1", type: "function", function: { name: "get_weather", arguments: { city: "Paris" } } }],
      },
      { role: "tool", tool_call_id: "toolu_1", content: [{ type: "text", text: "18C" }] },
      { role: "user", content: [{ type: "text", text: "Thanks" }] },
    ]);
    expect(request.tools![0]!.function).toMatchObject({ name: "get_weather", description: "Weather", parameters: tools[0]!.input_schema });
    expect(request.toolChoice).toBe("auto");
    expect(request.chatTemplateKwargs).toEqual({ enable_thinking: false });
    expect(request.sampling).toMatchObject({ maxTokens: 64, temperature: 0.5, topP: 0.9, topK: 20, stop: ["\n\nUser:"], n: 1 });
  });

  test("tool_choice: any and a named tool reach the engine as required / a named function; none drops the tools", async () => {
    const { app: a, engine } = app({ outputs: [["ok"]] });
    await post(a, "/v1/messages", body({ tools, tool_choice: { type: "any" } }));
    await post(a, "/v1/messages", body({ tools, tool_choice: { type: "tool", name: "get_weather" } }));
    await post(a, "/v1/messages", body({ tools, tool_choice: { type: "none" } }));
    const [any, named, none] = engine.requests.map((r) => (r.kind === "chat" ? r : null));
    expect(any!.toolChoice).toBe("required");
    expect(named!.toolChoice).toEqual({ type: "function", function: { name: "get_weather" } });
    expect(none!.tools).toBeUndefined();
    const bad = await post(a, "/v1/messages", body({ tools, tool_choice: { type: "tool", name: "nope" } }));
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toContain("'nope'");
  });

  test("errors in Anthropic's shape: document blocks, missing max_tokens, context length, unknown model, API key", async () => {
    const { app: a } = app({ throwBeforeStart: new ContextLengthError(5000, 4096, 1024) });
    const document = { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBER" } };
    const cases: [Record<string, unknown>, number, string, string][] = [
      [body({ messages: [{ role: "user", content: [document] }] }), 400, "invalid_request_error", "messages[0].content[0]: document blocks are not supported"],
      [{ model: "test-model", messages: [{ role: "user", content: "Hi" }] }, 400, "invalid_request_error", "max_tokens"],
      [body(), 400, "invalid_request_error", "prompt is too long: 5000 tokens > 4096 maximum"],
      [body({ model: "other" }), 404, "not_found_error", "other"],
      [body({ messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/svg+xml", data: "PHN2Zz4=" } }] }] }),
        400, "invalid_request_error", "messages[0].content[0].source.media_type: must be one of image/jpeg, image/png, image/gif, image/webp, got 'image/svg+xml'"],
    ];
    for (const [payload, status, type, text] of cases) {
      const res = await post(a, "/v1/messages", payload);
      expect(res.status).toBe(status);
      const error = await res.json();
      expect(error).toMatchObject({ type: "error", error: { type } });
      expect(error.error.message).toContain(text);
      expect(error.request_id).toStartWith("req-");
    }
    const keyed = testApp(new FakeEngine(() => ({ outputs: [["ok"]] })), { apiKey: "sk-x" }).app;
    const denied = await post(keyed, "/v1/messages", body(), { headers: { "x-api-key": "wrong", "anthropic-version": "2023-06-01" } });
    expect(denied.status).toBe(401);
    expect(await denied.json()).toMatchObject({ type: "error", error: { type: "authentication_error", message: "invalid API key" } });
    const allowed = await post(keyed, "/v1/messages", body(), { headers: { "x-api-key": "sk-x", "anthropic-version": "2023-06-01" } });
    expect(allowed.status).toBe(200);
    expect((await post(keyed, "/v1/chat/completions", { messages: [{ role: "user", content: "Hi" }] }, { headers: { "x-api-key": "sk-x" } })).status).toBe(200);
  });

  test("a prompt that fits but leaves too little for max_tokens gets Anthropic's wording, with the numbers clients parse", async () => {
    const { app: a } = app({ throwBeforeStart: new ContextLengthError(4000, 4096, 1024) });
    const res = await post(a, "/v1/messages", body());
    expect(res.status).toBe(400);
    expect((await res.json()).error).toEqual({
      type: "invalid_request_error",
      message: "input length and `max_tokens` exceed context limit: 4000 + 1024 > 4096, decrease input length or `max_tokens` and try again",
    });
  });

  test("prefix-cache hits are cache_read_input_tokens, and not also input_tokens", async () => {
    const { app: a } = app({ outputs: [["a", "b"]], promptTokens: 40, cachedTokens: 32 });
    const usage = { input_tokens: 8, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 32 };
    expect((await (await post(a, "/v1/messages", body())).json()).usage).toEqual(usage);
    const list = await events(await post(a, "/v1/messages", body({ stream: true })));
    expect(list.find((e) => e.type === "message_delta")!.usage).toEqual(usage);
    const { app: cold } = app({ outputs: [["a"]], promptTokens: 40 });
    expect((await (await post(cold, "/v1/messages", body())).json()).usage).toMatchObject({ input_tokens: 40, cache_read_input_tokens: 0 });
  });

  test("a bad content block is named by its index and field, not only 'Invalid input'", async () => {
    const { app: a } = app({ outputs: [["ok"]] });
    const cases: [unknown, string][] = [
      [[{ type: "video" }], "messages[0].content: [0].type: Invalid discriminator value. Expected 'text' | 'image'"],
      [[{ type: "text", text: "a" }, { type: "text" }], "messages[0].content: [1].text: Invalid input: expected string, received undefined"],
      [5, "messages[0].content: expected a string or an array of content blocks"],
    ];
    for (const [content, message] of cases) {
      const res = await post(a, "/v1/messages", body({ messages: [{ role: "user", content }] }));
      expect(res.status).toBe(400);
      expect((await res.json()).error.message).toStartWith(message);
    }
    const toolUse = { type: "tool_use", id: "toolu_1", name: "get_weather", input: "{}" };
    const res = await post(a, "/v1/messages", body({ messages: [{ role: "user", content: "Hi" }, { role: "assistant", content: [toolUse] }] }));
    expect((await res.json()).error.message).toBe("messages[1].content: [0].input: Invalid input: expected record, received string");
    const result = { type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: 1 }] };
    const nested = await post(a, "/v1/messages", body({ messages: [{ role: "user", content: [result] }] }));
    expect((await nested.json()).error.message).toBe("messages[0].content: [0].content: [0].text: Invalid input: expected string, received number");
  });

  test("empty content is a 400 but for a final assistant message, so no user turn silently vanishes", async () => {
    const { app: a, engine } = app({ outputs: [["ok"]] });
    const message = "all messages must have non-empty content except for the optional final assistant message";
    const bad: [Record<string, unknown>[], string][] = [
      [[{ role: "user", content: [] }], "messages[0].content"],
      [[{ role: "user", content: "" }], "messages[0].content"],
      [[{ role: "user", content: "a" }, { role: "assistant", content: [] }, { role: "user", content: "b" }], "messages[1].content"],
    ];
    for (const [messages, param] of bad) {
      for (const path of ["/v1/messages", "/v1/messages/count_tokens"]) {
        const res = await post(a, path, body({ messages }));
        expect(res.status).toBe(400);
        expect(await res.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: `${param}: ${message}` } });
      }
    }
    const prefill = await post(a, "/v1/messages", body({ messages: [{ role: "user", content: "Hi" }, { role: "assistant", content: [] }] }));
    expect(prefill.status).toBe(200);
    const request = engine.requests[0]!;
    if (request.kind !== "chat") throw new Error("expected a chat request");
    expect(request.messages).toEqual([{ role: "user", content: "Hi" }, { role: "assistant", content: "" }]);
  });

  test("a final assistant message is a prefill the engine continues; one with trailing whitespace is refused", async () => {
    const { app: a, engine } = app({ outputs: [[" Ada."]] });
    const turns = (last: unknown) => body({ messages: [{ role: "user", content: "Your name?" }, { role: "assistant", content: last }] });
    const res = await post(a, "/v1/messages", turns("Hello, my name is"));
    expect(res.status).toBe(200);
    expect((await res.json()).content).toEqual([{ type: "text", text: " Ada.", citations: null }]);
    expect(engine.requests[0]).toMatchObject({ kind: "chat", continueFinalMessage: true });
    expect((await post(a, "/v1/messages/count_tokens", turns("Hello, my name is"))).status).toBe(200);
    expect(engine.tokenizeInputs.at(-1)).toMatchObject({ kind: "chat", continueFinalMessage: true });
    // A final assistant turn of tool calls is history, not a prefill.
    const call = [{ type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } }];
    expect((await post(a, "/v1/messages", turns(call))).status).toBe(200);
    expect(engine.requests[1]).not.toHaveProperty("continueFinalMessage");
    for (const last of ["Hello, my name is ", [{ type: "text", text: "Hi\n" }]]) {
      const bad = await post(a, "/v1/messages", turns(last));
      expect(bad.status).toBe(400);
      expect((await bad.json()).error.message).toBe("messages[1].content: final assistant content cannot end with trailing whitespace");
    }
  });

  test("a mid-conversation system message (Claude Code sends one after the user's turn) is a system message where it sits", async () => {
    const { app: a, engine } = app({ outputs: [["ok"], ["ok"]] });
    // The shape Claude Code 2.1 sends: the user's turn, then a system message of agent descriptions.
    const messages = [
      { role: "user", content: [{ type: "text", text: "list the files here", cache_control: { type: "ephemeral" } }] },
      { role: "system", content: "Available agent types: Explore" },
    ];
    const res = await post(a, "/v1/messages", body({ system: "Be brief.", messages, thinking: { type: "adaptive" }, output_config: { effort: "high" } }));
    expect(res.status).toBe(200);
    expect(engine.requests[0]).toMatchObject({
      kind: "chat",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: [{ type: "text", text: "list the files here" }] },
        { role: "system", content: "Available agent types: Explore" },
      ],
    });
    expect(engine.requests[0]).not.toHaveProperty("continueFinalMessage");
    const blocks = [{ role: "user", content: "Hi" }, { role: "system", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] }];
    expect((await post(a, "/v1/messages", body({ messages: blocks }))).status).toBe(200);
    expect(engine.requests[1]).toMatchObject({ messages: [{ role: "user", content: "Hi" }, { role: "system", content: "a\nb" }] });
    expect((await post(a, "/v1/messages/count_tokens", body({ messages }))).status).toBe(200);
    // Not the first message (that is the top-level system), and text only.
    const first = await post(a, "/v1/messages", body({ messages: [{ role: "system", content: "x" }, { role: "user", content: "Hi" }] }));
    expect(first.status).toBe(400);
    expect((await first.json()).error.message).toBe(
      "messages[0].role: a system message cannot be the first message; put the system prompt in the top-level system parameter",
    );
    const call = [{ role: "user", content: "Hi" }, { role: "system", content: [{ type: "tool_use", id: "t", name: "get_weather", input: {} }] }];
    const bad = await post(a, "/v1/messages", body({ messages: call }));
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toBe("messages[1].content[0]: a system message cannot carry a tool_use block");
    expect(engine.requests).toHaveLength(2);
  });

  test("an unknown path under /v1/messages/ is a 404 in Anthropic's shape", async () => {
    const { app: a } = app({ outputs: [["ok"]] });
    const res = await a.request("/v1/messages/batches");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ type: "error", error: { type: "not_found_error", message: "no route for GET /v1/messages/batches" } });
    const other = (await (await a.request("/v1/nothing")).json()) as { error: unknown };
    expect(other.error).toMatchObject({ type: "invalid_request_error", code: "not_found" });
  });

  test("an error after the stream started is an `event: error` frame in Anthropic's shape", async () => {
    const { app: a } = app({ outputs: [["a", "b", "c"]], throwAfterTokens: { count: 1, error: new Error("boom") } });
    const list = await events(await post(a, "/v1/messages", body({ stream: true })));
    expect(list.at(-1)).toMatchObject({ type: "error", error: { type: "api_error", message: "internal server error" } });
    expect(list.some((e) => e.type === "message_stop")).toBe(false);
  });

  test("ping events keep an idle stream alive", async () => {
    const engine = new FakeEngine(() => ({ outputs: [["a", "b"]], firstTokenDelayMs: 120 }));
    const { app: a } = testApp(engine, { keepAliveMs: 30 });
    const list = await events(await post(a, "/v1/messages", body({ stream: true })));
    const firstDelta = list.findIndex((e) => e.type === "content_block_start");
    expect(list.slice(2, firstDelta).length).toBeGreaterThan(0);
    expect(list.slice(1, firstDelta).every((e) => e.type === "ping")).toBe(true);
    expect(await readSse(await post(a, "/v1/chat/completions", { messages: [{ role: "user", content: "Hi" }], stream: true }))).toMatchObject({ done: true });
  });
});

describe("POST /v1/messages/count_tokens", () => {
  test("counts the templated prompt with its tools, as generation renders it", async () => {
    const { app: a, engine } = app({});
    const res = await post(a, "/v1/messages/count_tokens", { model: "test-model", system: "S", messages: [{ role: "user", content: "Hi" }], tools });
    expect(res.status).toBe(200);
    const input = engine.tokenizeInputs[0]!;
    expect(input).toMatchObject({ kind: "chat", addGenerationPrompt: true, addSpecialTokens: true });
    const expected = await engine.tokenize(input);
    expect(await res.json()).toEqual({ input_tokens: expected.length });
    const withoutTools = await (await post(a, "/v1/messages/count_tokens", { model: "test-model", messages: [{ role: "user", content: "Hi" }] })).json();
    expect(withoutTools.input_tokens).toBeLessThan(expected.length);
  });
});
