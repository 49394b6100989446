/**
 * The compiled binary's Anthropic Messages, OpenAI Responses and tokenize APIs, driven by the official SDKs
 * (`@anthropic-ai/sdk`, `openai`) against the SCRIPTED Qwen3 models (greedy decoding spells a Hermes tool call or a
 * thinking answer whatever the prompt; see scripted-model.ts). The servers require an API key, so the Anthropic
 * client's `x-api-key` header is exercised too.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import Anthropic, { AuthenticationError, BadRequestError, NotFoundError } from "@anthropic-ai/sdk";
import type OpenAI from "openai";
import {
  type ScriptedModel,
  THINKING_SCRIPT,
  TOOL_CALL_SCRIPT,
  writeScriptedModel,
} from "../../src/engine/frontend/testing/scripted-model.ts";
import { type RunningServer, startServer } from "./scripted-harness.ts";

const KEY = "sk-e2e-agents";
let toolModel: ScriptedModel;
let thinkingModel: ScriptedModel;
let tool: RunningServer;
let thinking: RunningServer;
let toolClaude: Anthropic;
let thinkingClaude: Anthropic;

beforeAll(async () => {
  toolModel = writeScriptedModel(TOOL_CALL_SCRIPT);
  thinkingModel = writeScriptedModel(THINKING_SCRIPT);
  [tool, thinking] = await Promise.all([
    startServer(toolModel.dir, "tool", ["--api-key", KEY], KEY),
    startServer(thinkingModel.dir, "thinking", ["--api-key", KEY], KEY),
  ]);
  toolClaude = new Anthropic({ baseURL: tool.base, apiKey: KEY, maxRetries: 0 });
  thinkingClaude = new Anthropic({ baseURL: thinking.base, apiKey: KEY, maxRetries: 0 });
}, 120_000);

afterAll(async () => {
  await Promise.all([tool?.stop(), thinking?.stop()]);
  for (const m of [toolModel, thinkingModel]) if (m) rmSync(m.dir, { recursive: true, force: true });
});

const weatherTool: Anthropic.Tool = {
  name: "get_weather",
  description: "Current weather for a city",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};
// @anthropic-ai/sdk 1.10 no longer types `temperature`; the server still takes it (greedy decoding spells the script).
const GREEDY: object = { temperature: 0 };
const ask: Anthropic.MessageParam[] = [{ role: "user", content: "What is the weather in Paris?" }];
/** The whole prompt of a message: prefix-cache hits are `cache_read_input_tokens`, not also `input_tokens`. */
const promptTokens = (usage: Anthropic.Usage) => usage.input_tokens + (usage.cache_read_input_tokens ?? 0);

describe("Anthropic Messages API (@anthropic-ai/sdk)", () => {
  test("messages.create: a tool_use block, stop_reason tool_use, usage equal to count_tokens", async () => {
    const message = await toolClaude.messages.create({ model: "tool", max_tokens: 64, messages: ask, tools: [weatherTool], ...GREEDY });
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content).toHaveLength(1);
    const block = message.content[0]!;
    if (block.type !== "tool_use") throw new Error(`expected tool_use, got ${block.type}`);
    expect(block.name).toBe("get_weather");
    expect(block.input).toEqual({ city: "Paris" });
    expect(message.usage.output_tokens).toBe(toolModel.scriptIds.length + 1);
    const counted = await toolClaude.messages.countTokens({ model: "tool", messages: ask, tools: [weatherTool] });
    expect(counted.input_tokens).toBe(promptTokens(message.usage));
    // The same prompt again is served from the prefix cache, and counted there, not twice.
    const again = await toolClaude.messages.create({ model: "tool", max_tokens: 64, messages: ask, tools: [weatherTool], ...GREEDY });
    expect(again.usage.cache_read_input_tokens).toBeGreaterThan(0);
    expect(again.usage.input_tokens).toBeLessThan(counted.input_tokens);
    expect(promptTokens(again.usage)).toBe(counted.input_tokens);
    const withoutTools = await toolClaude.messages.countTokens({ model: "tool", messages: ask });
    expect(withoutTools.input_tokens).toBeLessThan(counted.input_tokens);
  });

  test("tool use round trip: the tool_result goes back through the template", async () => {
    const first = await toolClaude.messages.create({ model: "tool", max_tokens: 64, messages: ask, tools: [weatherTool], ...GREEDY });
    const call = first.content.find((b) => b.type === "tool_use")!;
    const second = await toolClaude.messages.create({
      model: "tool",
      max_tokens: 64,
      tools: [weatherTool],
      ...GREEDY,
      messages: [
        ...ask,
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: '{"temperature_c": 18}' }] },
      ],
    });
    expect(promptTokens(second.usage)).toBeGreaterThan(promptTokens(first.usage) + 20);
    expect(second.stop_reason).toBe("tool_use");
  });

  test("messages.stream: the SDK assembles the tool_use block from input_json_delta", async () => {
    const stream = toolClaude.messages.stream({ model: "tool", max_tokens: 64, messages: ask, tools: [weatherTool], ...GREEDY });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type === "content_block_delta" ? event.delta.type : event.type);
    const final = await stream.finalMessage();
    expect(types[0]).toBe("message_start");
    expect(types.at(-1)).toBe("message_stop");
    expect(types).toContain("input_json_delta");
    expect(final.stop_reason).toBe("tool_use");
    expect(final.content).toMatchObject([{ type: "tool_use", name: "get_weather", input: { city: "Paris" } }]);
  });

  test("thinking: thinking blocks streamed as thinking_delta, then text", async () => {
    const stream = thinkingClaude.messages.stream({ model: "thinking", max_tokens: 64, messages: [{ role: "user", content: "Say hello." }], ...GREEDY });
    let thinkingText = "";
    stream.on("thinking", (delta) => (thinkingText += delta));
    const final = await stream.finalMessage();
    expect(thinkingText).toBe("\nThe user wants a greeting.\n");
    expect(final.content as unknown[]).toMatchObject([
      { type: "thinking", thinking: "\nThe user wants a greeting.\n", signature: "" },
      { type: "text", text: "Hello there!", citations: null },
    ]);
    expect(final.stop_reason).toBe("end_turn");
    const off = await thinkingClaude.messages.create({ model: "thinking", max_tokens: 64, messages: [{ role: "user", content: "Hi" }], thinking: { type: "disabled" } });
    expect(off.type).toBe("message");
  });

  test("stop_sequences and max_tokens set stop_reason", async () => {
    const stopped = await toolClaude.messages.create({ model: "tool", max_tokens: 64, messages: ask, stop_sequences: ["Paris"], ...GREEDY });
    expect(stopped).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: "Paris" });
    expect(stopped.content).toEqual([{ type: "text", text: TOOL_CALL_SCRIPT.slice(0, TOOL_CALL_SCRIPT.indexOf("Paris")), citations: null }]);
    const cut = await toolClaude.messages.create({ model: "tool", max_tokens: 3, messages: ask, ...GREEDY });
    expect(cut.stop_reason).toBe("max_tokens");
    expect(cut.usage.output_tokens).toBe(3);
  });

  test("errors come back as the SDK's typed errors", async () => {
    const wrongKey = new Anthropic({ baseURL: tool.base, apiKey: "wrong", maxRetries: 0 });
    const denied = await wrongKey.messages.create({ model: "tool", max_tokens: 8, messages: ask }).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(AuthenticationError);
    const image: Anthropic.ImageBlockParam = { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } };
    const bad = await toolClaude.messages.create({ model: "tool", max_tokens: 8, messages: [{ role: "user", content: [image] }] }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(BadRequestError);
    expect((bad as BadRequestError).message).toContain("text only");
    expect((bad as BadRequestError).error).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    const missing = await toolClaude.messages.create({ model: "no-such-model", max_tokens: 8, messages: ask }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
  });
});

const functionTool: OpenAI.Responses.FunctionTool = {
  type: "function",
  name: "get_weather",
  description: "Current weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: false,
};

describe("OpenAI Responses API (openai)", () => {
  test("responses.create: a function_call item; previous_response_id with its function_call_output", async () => {
    const first = await tool.client.responses.create({ model: "tool", input: "What is the weather in Paris?", tools: [functionTool], temperature: 0 });
    expect(first.status).toBe("completed");
    const call = first.output.find((o) => o.type === "function_call");
    if (!call || call.type !== "function_call") throw new Error("expected a function_call item");
    expect(call.name).toBe("get_weather");
    expect(call.arguments).toBe('{"city":"Paris"}');
    const second = await tool.client.responses.create({
      model: "tool",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: call.call_id, output: '{"temperature_c": 18}' }],
      tools: [functionTool],
      temperature: 0,
    });
    expect(second.previous_response_id).toBe(first.id);
    // The stored conversation (question, call) plus the output went back through the template.
    expect(second.usage!.input_tokens).toBeGreaterThan(first.usage!.input_tokens + 20);
    const fetched = await tool.client.responses.retrieve(first.id);
    expect(fetched.id).toBe(first.id);
    await tool.client.responses.delete(first.id);
    const gone = await tool.client.responses.retrieve(first.id).catch((e: unknown) => e);
    expect((gone as { status?: number }).status).toBe(404);
  });

  test("responses.stream: reasoning and message items, output_text, and a continued stream", async () => {
    const stream = thinking.client.responses.stream({ model: "thinking", input: "Say hello.", temperature: 0 });
    const types: string[] = [];
    let text = "";
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.output_text.delta") text += event.delta;
    }
    const final = await stream.finalResponse();
    expect(types[0]).toBe("response.created");
    expect(types.at(-1)).toBe("response.completed");
    expect(types).toContain("response.reasoning_text.delta");
    expect(text).toBe("Hello there!");
    expect(final.output_text).toBe("Hello there!");
    const reasoning = final.output.find((o) => o.type === "reasoning");
    expect(reasoning?.type === "reasoning" ? reasoning.content?.[0]?.text : undefined).toBe("\nThe user wants a greeting.\n");
    const next = thinking.client.responses.stream({ model: "thinking", input: "Again.", previous_response_id: final.id, temperature: 0 });
    const continued = await next.finalResponse();
    expect(continued.output_text).toBe("Hello there!");
    expect(continued.usage!.input_tokens).toBeGreaterThan(final.usage!.input_tokens);
  });

  test("text.format json_schema with a keyword the grammar engine cannot enforce is a 400 naming it", async () => {
    const schema = { type: "object", properties: { tags: { type: "array", items: { type: "string" }, uniqueItems: true } } };
    const error = await tool.client.responses
      .create({ model: "tool", input: "x", text: { format: { type: "json_schema", name: "x", schema } } })
      .catch((e: unknown) => e);
    expect((error as { status?: number }).status).toBe(400);
    expect(String((error as Error).message)).toContain("uniqueItems");
  });
});

describe("tokenize, detokenize and the model list", () => {
  test("POST /tokenize counts what generation sees; /detokenize reverses a prompt; /v1/models has capabilities", async () => {
    const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
    const completion = await tool.client.chat.completions.create({ model: "tool", messages: [{ role: "user", content: "Hi" }], max_tokens: 1 });
    const tokenized = <{ count: number; max_model_len: number }>await (await fetch(`${tool.base}/tokenize`, { method: "POST", headers, body: JSON.stringify({ messages: [{ role: "user", content: "Hi" }], add_special_tokens: true }) })).json();
    expect(tokenized.count).toBe(completion.usage!.prompt_tokens);
    expect(tokenized.max_model_len).toBeGreaterThan(0);
    const plain = <{ tokens: number[] }>await (await fetch(`${tool.base}/tokenize`, { method: "POST", headers, body: JSON.stringify({ prompt: "Hello there" }) })).json();
    const back = <{ prompt: string }>await (await fetch(`${tool.base}/detokenize`, { method: "POST", headers, body: JSON.stringify({ tokens: plain.tokens }) })).json();
    expect(back.prompt).toBe("Hello there");
    const models = await tool.client.models.list();
    expect(models.data[0]).toMatchObject({ id: "tool", capabilities: { chat: true, vision: false, embeddings: false } });
  });
});
