import { describe, expect, test } from "bun:test";
import { ContextLengthError } from "../../engine/protocol.ts";
import { ResponsesStore } from "../responses-store.ts";
import { FakeEngine, type FakeScript } from "../testing/fake-engine.ts";
import { post, request, testApp } from "../testing/helpers.ts";

const CALL = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';
const tools = [{ type: "function", name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }];

function app(script: FakeScript | ((n: number) => FakeScript), info = {}, options = {}) {
  let n = 0;
  return testApp(new FakeEngine(() => (typeof script === "function" ? script(n++) : script), info), options);
}

/** Reads a Responses stream: `event:` equals `type`, sequence numbers count 0, 1, 2, … */
async function events(response: Response): Promise<Record<string, any>[]> {
  const raw = await response.text();
  const out = raw
    .split("\n\n")
    .filter((f) => f !== "")
    .map((frame) => {
      const [eventLine, dataLine] = frame.split("\n");
      const payload = JSON.parse(dataLine!.slice("data: ".length));
      expect(eventLine).toBe(`event: ${payload.type}`);
      return payload;
    });
  expect(out.map((e) => e.sequence_number)).toEqual(out.map((_, i) => i));
  return out;
}

describe("POST /v1/responses", () => {
  test("streamed: the documented sequence for reasoning, a message and a function call", async () => {
    const { app: a } = app({ outputs: [["<think>", "plan", "</think>", "Hi", "!", CALL]] }, { reasoning: { start: "<think>", end: "</think>" } });
    const list = await events(await post(a, "/v1/responses", { model: "test-model", input: "Hi", tools, stream: true }));
    expect(list.map((e) => e.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.reasoning_text.delta",
      "response.reasoning_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(list[0]!.response).toMatchObject({ object: "response", status: "in_progress", output: [] });
    expect(list[2]!.item).toMatchObject({ type: "reasoning", content: [], summary: [] });
    expect(list[8]!.item).toMatchObject({ type: "message", role: "assistant", status: "in_progress", content: [] });
    expect(list[12]).toMatchObject({ text: "Hi!", output_index: 1, content_index: 0, item_id: list[8]!.item.id });
    expect(list[15]!.item).toMatchObject({ type: "function_call", name: "get_weather", arguments: "" });
    expect(JSON.parse(list[17]!.arguments)).toEqual({ city: "Paris" });
    const done = list.at(-1)!.response;
    expect(done).toMatchObject({ status: "completed", usage: { input_tokens: 5, output_tokens: 6, total_tokens: 11 } });
    expect(done.output.map((o: any) => o.type)).toEqual(["reasoning", "message", "function_call"]);
    expect(done.output[1].content[0]).toMatchObject({ type: "output_text", text: "Hi!" });
  });

  test("usage.input_tokens_details.cached_tokens carries the engine's prefix-cache hits", async () => {
    const { app: a } = app({ outputs: [["Hello"]], promptTokens: 50, cachedTokens: 48 });
    const done = await (await post(a, "/v1/responses", { input: "Hi" })).json();
    expect(done.usage).toMatchObject({ input_tokens: 50, input_tokens_details: { cached_tokens: 48 } });
  });

  test("not streamed: the response object, and max_output_tokens reached makes it incomplete", async () => {
    const { app: a } = app((n) => ({ outputs: [["Hello"]], ...(n === 1 ? { finishReason: "length" as const } : {}) }));
    const done = await (await post(a, "/v1/responses", { input: "Hi", instructions: "Be brief.", temperature: 0.2 })).json();
    expect(done).toMatchObject({ object: "response", status: "completed", instructions: "Be brief.", temperature: 0.2, incomplete_details: null });
    expect(done.id).toStartWith("resp_");
    expect(done.output).toEqual([
      { type: "message", id: done.output[0].id, role: "assistant", status: "completed", content: [{ type: "output_text", text: "Hello", annotations: [], logprobs: [] }] },
    ]);
    const cut = await (await post(a, "/v1/responses", { input: "Hi", max_output_tokens: 1 })).json();
    expect(cut).toMatchObject({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" } });
    const list = await events(await post(a, "/v1/responses", { input: "Hi", max_output_tokens: 1, stream: true }));
    expect(list.at(-1)!.type).toBe("response.completed");
  });

  test("streamed and cut by max_output_tokens: the cut item's output_item.done says incomplete, as response.incomplete does", async () => {
    const { app: a } = app({ outputs: [["Hel", "lo"]], finishReason: "length" });
    const list = await events(await post(a, "/v1/responses", { input: "Hi", max_output_tokens: 2, stream: true }));
    const done = list.filter((e) => e.type === "response.output_item.done");
    expect(done.map((e) => e.item.status)).toEqual(["incomplete"]);
    expect(list.at(-1)).toMatchObject({ type: "response.incomplete", response: { output: [{ status: "incomplete" }] } });
  });

  test("input items become chat messages; instructions, effort and sampling reach the engine", async () => {
    const { app: a, engine } = app({ outputs: [["ok"]] });
    const res = await post(a, "/v1/responses", {
      instructions: "Sys",
      input: [
        { role: "user", content: [{ type: "input_text", text: "Weather?" }] },
        { type: "reasoning", id: "rs_1", summary: [], content: [{ type: "reasoning_text", text: "call it" }] },
        { type: "function_call", call_id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' },
        { type: "function_call_output", call_id: "call_1", output: "18C" },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "18C." }] },
        { role: "user", content: "Thanks" },
      ],
      tools,
      tool_choice: "required",
      reasoning: { effort: "none" },
      max_output_tokens: 32,
      top_p: 0.5,
    });
    expect(res.status).toBe(200);
    const r = engine.requests[0]!;
    if (r.kind !== "chat") throw new Error("expected chat");
    expect(r.messages).toEqual([
      { role: "system", content: "Sys" },
      { role: "user", content: [{ type: "text", text: "Weather?" }] },
      { role: "assistant", content: null, reasoning_content: "call it", tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: { city: "Paris" } } }] },
      { role: "tool", tool_call_id: "call_1", content: "18C" },
      { role: "assistant", content: [{ type: "text", text: "18C." }] },
      { role: "user", content: "Thanks" },
    ]);
    expect(r.toolChoice).toBe("required");
    expect(r.chatTemplateKwargs).toEqual({ enable_thinking: false });
    expect(r.sampling).toMatchObject({ maxTokens: 32, topP: 0.5 });
  });

  test("previous_response_id continues the stored conversation; store: false keeps nothing; GET and DELETE", async () => {
    const { app: a, engine } = app({ outputs: [["Paris."]] });
    const first = await (await post(a, "/v1/responses", { input: "Capital of France?", instructions: "Only for turn one" })).json();
    const second = await (await post(a, "/v1/responses", { input: "And Spain?", previous_response_id: first.id })).json();
    expect(second.previous_response_id).toBe(first.id);
    const r = engine.requests[1]!;
    if (r.kind !== "chat") throw new Error("expected chat");
    expect(r.messages).toEqual([
      { role: "user", content: "Capital of France?" },
      { role: "assistant", content: "Paris." },
      { role: "user", content: "And Spain?" },
    ]);
    expect(await (await request(a, `/v1/responses/${first.id}`)).json()).toEqual(first);
    const unstored = await (await post(a, "/v1/responses", { input: "x", store: false })).json();
    expect(unstored.store).toBe(false);
    expect((await request(a, `/v1/responses/${unstored.id}`)).status).toBe(404);
    const missing = await post(a, "/v1/responses", { input: "x", previous_response_id: unstored.id });
    expect(missing.status).toBe(404);
    expect((await missing.json()).error).toMatchObject({ param: "previous_response_id", code: "previous_response_not_found" });
    const deleted = await request(a, `/v1/responses/${first.id}`, { method: "DELETE" });
    expect(await deleted.json()).toEqual({ id: first.id, object: "response.deleted", deleted: true });
    expect((await request(a, `/v1/responses/${first.id}`, { method: "DELETE" })).status).toBe(404);
    const metrics = await (await request(a, "/metrics")).text();
    expect(metrics).toContain("vllm_mlx_responses_store_entries 1\n");
    expect(metrics).toContain(`vllm_mlx_responses_store_budget_bytes ${64 * 1024 * 1024}\n`);
  });

  test("text.format json_object / json_schema reach the engine as its constraint; 400s: other tool types; audio parts", async () => {
    const { app: a, engine } = app({ outputs: [["{}"]] });
    const schema = { type: "object", properties: { a: { type: "integer" } } };
    expect((await post(a, "/v1/responses", { input: "Hi", text: { format: { type: "json_object" } } })).status).toBe(200);
    expect((await post(a, "/v1/responses", { input: "Hi", text: { format: { type: "json_schema", name: "x", schema, strict: true } } })).status).toBe(200);
    expect(engine.requests.map((r) => r.structured)).toEqual([{ type: "json_object" }, { type: "json_schema", schema, strict: true }]);
    const missing = await post(a, "/v1/responses", { input: "Hi", text: { format: { type: "json_schema", name: "x" } } });
    expect(missing.status).toBe(400);
    expect((await missing.json()).error.param).toContain("text.format");
    const custom = await post(a, "/v1/responses", { input: "Hi", tools: [{ type: "custom", name: "apply_patch" }] });
    expect((await custom.json()).error).toMatchObject({ param: "tools[0].type" });
    const audio = await post(a, "/v1/responses", { input: [{ role: "user", content: [{ type: "input_audio", data: "AA" }] }] });
    expect(audio.status).toBe(400);
    expect((await audio.json()).error.message).toBe("input[0].content[0]: input_audio parts are not supported");
    expect((await post(a, "/v1/responses", { input: "Hi", text: { format: { type: "text" } } })).status).toBe(200);
  });

  test("Codex's tools: a namespace's functions are offered and their calls carry `namespace`; hosted web_search is left out", async () => {
    const { app: a, engine } = app({ outputs: [['<tool_call>\n{"name": "spawn_agent", "arguments": {"task": "x"}}\n</tool_call>']] });
    const spawn = { type: "function", name: "spawn_agent", description: "Spawn", strict: false, parameters: { type: "object", properties: { task: { type: "string" } } } };
    // The shape Codex 0.171 sends.
    const codexTools = [...tools, { type: "namespace", name: "multi_agent_v1", description: "Sub-agents", tools: [spawn] }, { type: "web_search", external_web_access: false }];
    const done = await (await post(a, "/v1/responses", { input: "Hi", tools: codexTools })).json();
    const sent = engine.requests[0]!;
    if (sent.kind !== "chat") throw new Error("expected a chat request");
    expect(sent.tools!.map((t) => t.function.name)).toEqual(["get_weather", "spawn_agent"]);
    expect(sent.tools![1]!.function).toEqual({ name: "spawn_agent", description: "Spawn", parameters: spawn.parameters });
    expect(done.output).toHaveLength(1);
    expect(done.output[0]).toMatchObject({ type: "function_call", name: "spawn_agent", namespace: "multi_agent_v1", status: "completed" });
    expect(JSON.parse(done.output[0].arguments)).toEqual({ task: "x" });
    const list = await events(await post(a, "/v1/responses", { input: "Hi", tools: codexTools, stream: true }));
    const items = list.filter((e) => e.type === "response.output_item.added" || e.type === "response.output_item.done").map((e) => e.item);
    expect(items.map((i) => [i.type, i.name, i.namespace])).toEqual([["function_call", "spawn_agent", "multi_agent_v1"], ["function_call", "spawn_agent", "multi_agent_v1"]]);
    // A top-level function's call has no namespace; Codex's history items with `namespace` are taken back.
    const { app: b } = app({ outputs: [[CALL]] });
    const plain = await (await post(b, "/v1/responses", { input: "Hi", tools: codexTools })).json();
    expect(plain.output[0]).toMatchObject({ type: "function_call", name: "get_weather" });
    expect(plain.output[0]).not.toHaveProperty("namespace");
    const history = [
      { type: "message", role: "user", content: [{ type: "input_text", text: "Hi" }] },
      { type: "function_call", name: "spawn_agent", namespace: "multi_agent_v1", arguments: "{}", call_id: "call_1" },
      { type: "function_call_output", call_id: "call_1", output: "ok" },
    ];
    expect((await post(b, "/v1/responses", { input: history, tools: codexTools })).status).toBe(200);
    // Refused: a namespace's non-function tool, a name two tools share.
    const inner = await post(a, "/v1/responses", { input: "Hi", tools: [{ type: "namespace", name: "n", tools: [{ type: "custom", name: "c" }] }] });
    expect((await inner.json()).error).toMatchObject({ param: "tools[0].tools[0].type", message: "tools[0].tools[0].type: tool type 'custom' is not supported in a namespace; only 'function'" });
    const twice = await post(a, "/v1/responses", { input: "Hi", tools: [...tools, { type: "namespace", name: "n", tools: [tools[0]] }] });
    expect((await twice.json()).error).toMatchObject({ param: "tools[1].tools[0].name" });
  });

  test("the response echoes the request's text.format (the SDK's parse helpers read it); a prompt over the context names input", async () => {
    const { app: a } = app({ outputs: [['{"a": 1}']] });
    const format = { type: "json_schema", name: "x", schema: { type: "object", properties: { a: { type: "integer" } } }, strict: true };
    const body = await (await post(a, "/v1/responses", { input: "Hi", text: { format } })).json();
    expect(body.text).toEqual({ format });
    expect((await (await post(a, "/v1/responses", { input: "Hi" })).json()).text).toEqual({ format: { type: "text" } });
    const { app: long } = app({ throwBeforeStart: new ContextLengthError(5000, 4096) });
    const res = await post(long, "/v1/responses", { input: "Hi" });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ param: "input", code: "context_length_exceeded" });
  });

  test("an error after the stream started is an `error` event with the next sequence number", async () => {
    const { app: a } = app({ outputs: [["a", "b", "c"]], throwAfterTokens: { count: 1, error: new Error("boom") } });
    const list = await events(await post(a, "/v1/responses", { input: "Hi", stream: true }));
    expect(list.at(-1)).toMatchObject({ type: "error", message: "internal server error", code: "internal_error" });
  });
});

describe("ResponsesStore", () => {
  const entry = (text: string) => ({ response: { id: text }, conversation: [{ role: "user" as const, content: text }] });
  const size = (text: string) => Buffer.byteLength(JSON.stringify(entry(text)));

  test("evicts the least recently used entries to stay within its byte budget", () => {
    const store = new ResponsesStore(size("aaaa") * 2);
    store.put("a", entry("aaaa"));
    store.put("b", entry("bbbb"));
    expect(store.get("a")).toBeDefined();
    store.put("c", entry("cccc"));
    expect(store.get("b")).toBeUndefined();
    expect(store.get("a")).toBeDefined();
    expect(store.stats()).toEqual({ entries: 2, bytes: size("aaaa") * 2, budgetBytes: size("aaaa") * 2, evictions: 1 });
    expect(store.put("big", entry("x".repeat(1000)))).toBe(false);
    expect(store.stats().entries).toBe(2);
    expect(store.delete("a")).toBe(true);
    expect(store.stats().bytes).toBe(size("cccc"));
  });
});
