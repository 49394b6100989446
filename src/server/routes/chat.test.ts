import { describe, expect, test } from "bun:test";
import { FakeEngine } from "../testing/fake-engine.ts";
import { chatBody, joinDeltas, post, readSse, testApp } from "../testing/helpers.ts";

const TOOLS = [
  { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } },
  { type: "function", function: { name: "get_time", parameters: { type: "object" } } },
];

describe("POST /v1/chat/completions, non-streaming", () => {
  test("returns the message, finish_reason and usage", async () => {
    const { app, engine } = testApp(new FakeEngine(() => ({ outputs: [["Hel", "lo"]], promptTokens: 7 })));
    const res = await post(app, "/v1/chat/completions", chatBody({ max_tokens: 10, temperature: 0.5 }));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.object).toBe("chat.completion");
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.model).toBe("test-model");
    expect(body.choices).toEqual([
      { index: 0, message: { role: "assistant", content: "Hello" }, logprobs: null, finish_reason: "stop" },
    ]);
    expect(body.usage).toEqual({ prompt_tokens: 7, completion_tokens: 2, total_tokens: 9, prompt_tokens_details: { cached_tokens: 0 } });
    const request = engine.requests[0]!;
    expect(request.kind).toBe("chat");
    expect(request.sampling).toMatchObject({ maxTokens: 10, temperature: 0.5, n: 1, stop: [] });
  });

  test("usage.prompt_tokens_details.cached_tokens carries the engine's prefix-cache hits", async () => {
    const { app } = testApp(new FakeEngine(() => ({ outputs: [["Hi"]], promptTokens: 40, cachedTokens: 32 })));
    const body = await (await post(app, "/v1/chat/completions", chatBody())).json();
    expect(body.usage).toEqual({ prompt_tokens: 40, completion_tokens: 1, total_tokens: 41, prompt_tokens_details: { cached_tokens: 32 } });
    const sse = await readSse(await post(app, "/v1/chat/completions", chatBody({ stream: true, stream_options: { include_usage: true } })));
    expect(sse.chunks.at(-1)!.usage.prompt_tokens_details).toEqual({ cached_tokens: 32 });
  });

  test("finish_reason length passes through", async () => {
    const { app } = testApp(new FakeEngine(() => ({ finishReason: "length" })));
    const body = await (await post(app, "/v1/chat/completions", chatBody())).json();
    expect(body.choices[0].finish_reason).toBe("length");
  });

  test("n=2 returns two indexed choices and summed usage", async () => {
    const { app } = testApp(new FakeEngine(() => ({ outputs: [["A", "a"], ["B"]] })));
    const body = await (await post(app, "/v1/chat/completions", chatBody({ n: 2 }))).json();
    expect(body.choices.map((c: any) => [c.index, c.message.content])).toEqual([[0, "Aa"], [1, "B"]]);
    expect(body.usage.completion_tokens).toBe(3);
  });

  test("logprobs and top_logprobs", async () => {
    const { app } = testApp(new FakeEngine(() => ({ outputs: [["x", "y"]] })));
    const body = await (await post(app, "/v1/chat/completions", chatBody({ logprobs: true, top_logprobs: 2 }))).json();
    const content = body.choices[0].logprobs.content;
    expect(content.map((c: any) => c.token)).toEqual(["x", "y"]);
    expect(content[0]).toEqual({
      token: "x",
      logprob: -0.25,
      bytes: [120],
      top_logprobs: [
        { token: "x", logprob: -0.25, bytes: [120] },
        { token: "alt1", logprob: -1.25, bytes: [97, 108, 116, 49] },
      ],
    });
  });

  test("model id/path and 'default' are accepted; absent model too", async () => {
    const { app } = testApp();
    for (const model of ["fake-org/fake-model", "default", undefined]) {
      const res = await post(app, "/v1/chat/completions", { ...chatBody(), model });
      expect(res.status).toBe(200);
    }
  });

  test("reasoning_content and reasoning split from content", async () => {
    const engine = new FakeEngine(() => ({ outputs: [["<think>", "plan", "</think>", "\n\nAnswer"]] }), {
      reasoning: { start: "<think>", end: "</think>" },
    });
    const body = await (await post(testApp(engine).app, "/v1/chat/completions", chatBody())).json();
    expect(body.choices[0].message).toEqual({ role: "assistant", content: "Answer", reasoning_content: "plan", reasoning: "plan" });
  });

  test("prompt opened the think block (start event says so)", async () => {
    const engine = new FakeEngine(() => ({ outputs: [["a", "b</thi", "nk>c"]], promptOpensReasoning: true }), {
      reasoning: { start: "<think>", end: "</think>" },
    });
    const body = await (await post(testApp(engine).app, "/v1/chat/completions", chatBody())).json();
    expect(body.choices[0].message).toMatchObject({ content: "c", reasoning_content: "ab" });
  });

  test("chat_template_kwargs, tools and messages reach the engine in template shape", async () => {
    const { app, engine } = testApp();
    const messages = [
      { role: "system", content: "sys" },
      { role: "user", content: [{ type: "text", text: "look" }, { type: "image_url", image_url: { url: "data:image/png;base64,AA" } }] },
      { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "get_time", arguments: '{"tz":"UTC"}' } }] },
      { role: "tool", tool_call_id: "c1", content: "12:00" },
    ];
    const res = await post(app, "/v1/chat/completions", chatBody({ messages, tools: TOOLS, chat_template_kwargs: { enable_thinking: false } }));
    expect(res.status).toBe(200);
    const request = engine.requests[0]!;
    if (request.kind !== "chat") throw new Error("expected chat");
    expect(request.chatTemplateKwargs).toEqual({ enable_thinking: false });
    expect(request.tools?.map((t) => t.function.name)).toEqual(["get_weather", "get_time"]);
    expect(request.messages[2]!.tool_calls![0]!.function.arguments).toEqual({ tz: "UTC" });
    expect(request.messages[3]).toEqual({ role: "tool", content: "12:00", tool_call_id: "c1" });
    expect(request.messages[1]!.content).toEqual(messages[1]!.content as any);
  });
});

describe("tool calls, non-streaming", () => {
  test("continue_final_message (vLLM's) continues a final assistant message; add_generation_prompt false reaches the engine", async () => {
    const { app, engine } = testApp(new FakeEngine(() => ({ outputs: [[" Ada."]] })));
    const messages = [{ role: "user", content: "Your name?" }, { role: "assistant", content: "My name is" }];
    const res = await post(app, "/v1/chat/completions", chatBody({ messages, continue_final_message: true, add_generation_prompt: false }));
    expect(res.status).toBe(200);
    expect((await res.json()).choices[0].message.content).toBe(" Ada.");
    expect(engine.requests[0]).toMatchObject({ continueFinalMessage: true, addGenerationPrompt: false });
    expect(await post(app, "/v1/chat/completions", chatBody({ messages, add_generation_prompt: false })).then((r) => r.status)).toBe(200);
    expect(engine.requests[1]).not.toHaveProperty("continueFinalMessage");
    const cases: [Record<string, unknown>, string][] = [
      [{ messages, continue_final_message: true, add_generation_prompt: true }, "continue_final_message: cannot be true together with add_generation_prompt"],
      [{ continue_final_message: true }, "messages: continue_final_message needs an assistant message last"],
    ];
    for (const [extra, message] of cases) {
      const bad = await post(app, "/v1/chat/completions", chatBody(extra));
      expect(bad.status).toBe(400);
      expect((await bad.json()).error.message).toBe(message);
    }
  });

  test("hermes parallel calls after text", async () => {
    const out = 'Checking.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n<tool_call>\n{"name": "get_time", "arguments": {}}\n</tool_call>';
    const { app } = testApp(new FakeEngine(() => ({ outputs: [[out]] })));
    const body = await (await post(app, "/v1/chat/completions", chatBody({ tools: TOOLS }))).json();
    const choice = body.choices[0];
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBe("Checking.");
    expect(choice.message.tool_calls.map((c: any) => [c.index, c.type, c.function.name, JSON.parse(c.function.arguments)])).toEqual([
      [0, "function", "get_weather", { city: "Paris" }],
      [1, "function", "get_time", {}],
    ]);
  });

  test("llama3_json call: content null", async () => {
    const out = '<|python_tag|>{"name": "get_weather", "parameters": {"city": "Oslo"}}';
    const engine = new FakeEngine(() => ({ outputs: [[out]] }), { toolCallFormat: "llama3_json" });
    const body = await (await post(testApp(engine).app, "/v1/chat/completions", chatBody({ tools: TOOLS }))).json();
    expect(body.choices[0].message.content).toBeNull();
    expect(body.choices[0].message.tool_calls[0].function).toEqual({ name: "get_weather", arguments: '{"city": "Oslo"}' });
  });

  test("tool_choice none: tools not sent, markup not parsed", async () => {
    const out = '<tool_call>{"name":"get_time","arguments":{}}</tool_call>';
    const { app, engine } = testApp(new FakeEngine(() => ({ outputs: [[out]] })));
    const body = await (await post(app, "/v1/chat/completions", chatBody({ tools: TOOLS, tool_choice: "none" }))).json();
    expect(engine.requests[0]).not.toHaveProperty("tools");
    expect(body.choices[0].message.content).toBe(out);
    expect(body.choices[0].finish_reason).toBe("stop");
  });

  test("tool_choice required with no call returns the text as produced", async () => {
    const { app, engine } = testApp(new FakeEngine(() => ({ outputs: [["No tool needed."]] })));
    const body = await (await post(app, "/v1/chat/completions", chatBody({ tools: TOOLS, tool_choice: "required" }))).json();
    expect(body.choices[0]).toMatchObject({ message: { content: "No tool needed." }, finish_reason: "stop" });
    expect(engine.requests[0]).toMatchObject({ toolChoice: "required" });
  });

  test("without tools in the request, markup is left as content", async () => {
    const out = '<tool_call>{"name":"x"}</tool_call>';
    const { app } = testApp(new FakeEngine(() => ({ outputs: [[out]] })));
    const body = await (await post(app, "/v1/chat/completions", chatBody())).json();
    expect(body.choices[0].message.content).toBe(out);
  });
});

describe("POST /v1/chat/completions, streaming", () => {
  test("role chunk first, content deltas, finish_reason last, usage chunk, [DONE]", async () => {
    const { app } = testApp(new FakeEngine(() => ({ outputs: [["Hel", "lo", "!"]], promptTokens: 3 })));
    const res = await post(app, "/v1/chat/completions", chatBody({ stream: true, stream_options: { include_usage: true } }));
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const sse = await readSse(res);
    expect(sse.done).toBe(true);
    const [first, ...rest] = sse.chunks;
    expect(first!.choices).toEqual([{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }]);
    expect(first!.object).toBe("chat.completion.chunk");
    expect(first!.usage).toBeNull();
    const usage = rest.at(-1)!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toEqual({ prompt_tokens: 3, completion_tokens: 3, total_tokens: 6, prompt_tokens_details: { cached_tokens: 0 } });
    const finish = rest.at(-2)!;
    expect(finish.choices[0].finish_reason).toBe("stop");
    expect(joinDeltas(sse.chunks, "content")).toBe("Hello!");
    for (const chunk of rest.slice(0, -2)) expect(chunk.choices[0].finish_reason).toBeNull();
    expect(new Set(sse.chunks.map((c) => c.id)).size).toBe(1);
  });

  test("without include_usage there is no usage chunk or usage key", async () => {
    const { app } = testApp();
    const sse = await readSse(await post(app, "/v1/chat/completions", chatBody({ stream: true })));
    expect(sse.chunks.every((c) => !("usage" in c) && c.choices.length === 1)).toBe(true);
    expect(sse.chunks.at(-1)!.choices[0].finish_reason).toBe("stop");
  });

  test("n=2: every chunk indexed, each index has role first and finish last", async () => {
    const { app } = testApp(new FakeEngine(() => ({ outputs: [["a1", "a2"], ["b1", "b2", "b3"]] })));
    const sse = await readSse(await post(app, "/v1/chat/completions", chatBody({ stream: true, n: 2 })));
    for (const index of [0, 1]) {
      const mine = sse.chunks.filter((c) => c.choices[0].index === index).map((c) => c.choices[0]);
      expect(mine[0].delta.role).toBe("assistant");
      expect(mine.at(-1).finish_reason).toBe("stop");
    }
    expect(joinDeltas(sse.chunks, "content", 0)).toBe("a1a2");
    expect(joinDeltas(sse.chunks, "content", 1)).toBe("b1b2b3");
  });

  test("stream_interval batches tokens per chunk", async () => {
    const tokens = ["a", "b", "c", "d", "e"];
    const { app } = testApp(new FakeEngine(() => ({ outputs: [tokens] })), { streamInterval: 2 });
    const sse = await readSse(await post(app, "/v1/chat/completions", chatBody({ stream: true })));
    const contents = sse.chunks.slice(1).map((c) => c.choices[0].delta.content ?? "");
    expect(contents).toEqual(["ab", "cd", "e"]);
    expect(sse.chunks.at(-1)!.choices[0].finish_reason).toBe("stop");
  });

  test("logprobs ride on their content chunks", async () => {
    const { app } = testApp(new FakeEngine(() => ({ outputs: [["x", "y"]] })));
    const sse = await readSse(await post(app, "/v1/chat/completions", chatBody({ stream: true, logprobs: true })));
    const tokens = sse.chunks.flatMap((c) => c.choices[0].logprobs?.content ?? []).map((l: any) => l.token);
    expect(tokens).toEqual(["x", "y"]);
  });

  test("reasoning streamed with tags split across deltas", async () => {
    const tokens = ["<th", "ink>", "step ", "one</", "thi", "nk>", "\n\n", "Final", " answer"];
    const engine = new FakeEngine(() => ({ outputs: [tokens] }), { reasoning: { start: "<think>", end: "</think>" } });
    const sse = await readSse(await post(testApp(engine).app, "/v1/chat/completions", chatBody({ stream: true })));
    expect(joinDeltas(sse.chunks, "reasoning_content")).toBe("step one");
    expect(joinDeltas(sse.chunks, "reasoning")).toBe("step one");
    expect(joinDeltas(sse.chunks, "content")).toBe("Final answer");
    expect(sse.raw).not.toContain("think>");
  });

  for (const split of [1, 3]) {
    test(`hermes tool calls streamed (tags split every ${split} chars): structured deltas, no leak`, async () => {
      const text = 'Sure.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n<tool_call>\n{"name": "get_time", "arguments": {}}\n</tool_call>';
      const tokens = text.match(new RegExp(`[\\s\\S]{1,${split}}`, "g"))!;
      const { app } = testApp(new FakeEngine(() => ({ outputs: [tokens] })));
      const sse = await readSse(await post(app, "/v1/chat/completions", chatBody({ stream: true, tools: TOOLS })));
      const content = joinDeltas(sse.chunks, "content");
      expect(content).toBe("Sure.");
      for (const chunk of sse.chunks) expect(chunk.choices[0]?.delta?.content ?? "").not.toContain("<");
      const deltas = sse.chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
      const calls = accumulateToolCalls(deltas);
      expect(calls.map((c) => [c.index, c.type, c.name, c.arguments])).toEqual([
        [0, "function", "get_weather", '{"city": "Paris"}'],
        [1, "function", "get_time", "{}"],
      ]);
      expect(calls[0]!.id).toMatch(/^call_/);
      // The first delta of a call carries its id, type and name with empty arguments; later ones only arguments.
      expect(deltas[0]).toMatchObject({ index: 0, type: "function", function: { name: "get_weather" } });
      if (split === 1) expect(deltas.filter((d: any) => d.index === 0).length).toBeGreaterThan(2);
      expect(sse.chunks.at(-1)!.choices[0].finish_reason).toBe("tool_calls");
    });
  }

  test("llama3_json tool call streamed", async () => {
    const tokens = ["<|python", "_tag|>", '{"name": "get_', 'time", "parameters": {"tz": "UTC"}}'];
    const engine = new FakeEngine(() => ({ outputs: [tokens] }), { toolCallFormat: "llama3_json" });
    const sse = await readSse(await post(testApp(engine).app, "/v1/chat/completions", chatBody({ stream: true, tools: TOOLS })));
    expect(joinDeltas(sse.chunks, "content")).toBe("");
    const calls = accumulateToolCalls(sse.chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []));
    expect(calls.map((c) => ({ name: c.name, arguments: c.arguments }))).toEqual([{ name: "get_time", arguments: '{"tz": "UTC"}' }]);
    expect(sse.chunks.at(-1)!.choices[0].finish_reason).toBe("tool_calls");
  });

  test("keep-alive comments flow while the first token is slow", async () => {
    const { app } = testApp(new FakeEngine(() => ({ firstTokenDelayMs: 130 })), { keepAliveMs: 40 });
    const sse = await readSse(await post(app, "/v1/chat/completions", chatBody({ stream: true })));
    expect(sse.comments.length).toBeGreaterThanOrEqual(2);
    expect(sse.comments[0]).toBe(": keep-alive");
    expect(joinDeltas(sse.chunks, "content")).toBe("Hello world");
  });

  test("an engine error mid-stream becomes an error frame, then [DONE]", async () => {
    const { app, logger } = testApp(new FakeEngine(() => ({ outputs: [["a", "b", "c"]], throwAfterTokens: { count: 1, error: new Error("secret detail") } })));
    const sse = await readSse(await post(app, "/v1/chat/completions", chatBody({ stream: true })));
    expect(sse.chunks.at(-1)).toEqual({ error: { message: "internal server error", type: "server_error", param: null, code: "internal_error" } });
    expect(sse.raw).not.toContain("secret detail");
    expect(sse.done).toBe(true);
    expect(logger.lines.some((l) => l.startsWith("error"))).toBe(true);
  });

  test("access log line has request id, route, status, tokens and ttft", async () => {
    const { app, logger } = testApp(new FakeEngine(() => ({ outputs: [["a", "b", "c"]], promptTokens: 4 })));
    await readSse(await post(app, "/v1/chat/completions", chatBody({ stream: true })));
    const line = logger.lines.find((l) => l.includes("/v1/chat/completions"))!;
    expect(line).toMatch(/^info req-[0-9a-f]{8} POST \/v1\/chat\/completions 200 \d+ms prompt=4 completion=3 ttft=\d+ms/);
  });
});

/** Joins streamed `delta.tool_calls` entries by index, as OpenAI's SDKs do. */
function accumulateToolCalls(deltas: any[]): { index: number; id: string; type: string; name: string; arguments: string }[] {
  const calls: { index: number; id: string; type: string; name: string; arguments: string }[] = [];
  for (const d of deltas) {
    const call = (calls[d.index] ??= { index: d.index, id: "", type: "", name: "", arguments: "" });
    call.id += d.id ?? "";
    call.type += d.type ?? "";
    call.name += d.function?.name ?? "";
    call.arguments += d.function?.arguments ?? "";
  }
  return calls;
}
