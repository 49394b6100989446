/**
 * The compiled binary serving SCRIPTED Qwen3 models (real weights built so that greedy decoding spells a
 * Hermes tool call or a thinking answer; see scripted-model.ts), driven by the real `openai` client.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import type OpenAI from "openai";
import {
  type ScriptedModel,
  THINKING_SCRIPT,
  TOOL_CALL_SCRIPT,
  writeScriptedModel,
} from "../../src/engine/frontend/testing/scripted-model.ts";
import { type RunningServer, startServer } from "./scripted-harness.ts";
import { collectChatStream } from "../../src/server/testing/chat-stream.ts";

let toolModel: ScriptedModel;
let thinkingModel: ScriptedModel;
let tool: RunningServer;
let thinking: RunningServer;

beforeAll(async () => {
  toolModel = writeScriptedModel(TOOL_CALL_SCRIPT);
  thinkingModel = writeScriptedModel(THINKING_SCRIPT);
  [tool, thinking] = await Promise.all([
    startServer(toolModel.dir, "tool", ["--max-num-seqs", "16"]),
    startServer(thinkingModel.dir, "thinking"),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([tool?.stop(), thinking?.stop()]);
  for (const m of [toolModel, thinkingModel]) if (m) rmSync(m.dir, { recursive: true, force: true });
});

const ask = [{ role: "user" as const, content: "What is the weather in Paris?" }];
const tools: OpenAI.ChatCompletionTool[] = [{
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
}];

interface StreamedCall {
  id: string;
  name: string;
  arguments: string;
}

describe("tool calls (scripted Hermes model)", () => {
  test("not streamed: one structured call, finish_reason tool_calls, no <tool_call> text", async () => {
    const completion = await tool.client.chat.completions.create({ model: "tool", messages: ask, tools, temperature: 0 });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content ?? "").not.toContain("<tool_call>");
    expect(choice.message.content ?? "").toBe("");
    const calls = choice.message.tool_calls!;
    expect(calls).toHaveLength(1);
    const call = calls[0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.type).toBe("function");
    expect(call.id.length).toBeGreaterThan(0);
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "Paris" });
    expect(call.function.arguments).toBe('{"city":"Paris"}');
    expect(completion.usage!.completion_tokens).toBe(toolModel.scriptIds.length + 1);
  });

  test("streamed: deltas accumulate to the same call, finish_reason tool_calls in the last chunk", async () => {
    const stream = await tool.client.chat.completions.create({ model: "tool", messages: ask, tools, temperature: 0, stream: true });
    const calls: StreamedCall[] = [];
    let content = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (!choice) continue;
      content += choice.delta.content ?? "";
      for (const d of choice.delta.tool_calls ?? []) {
        const call = (calls[d.index] ??= { id: "", name: "", arguments: "" });
        call.id += d.id ?? "";
        call.name += d.function?.name ?? "";
        call.arguments += d.function?.arguments ?? "";
      }
      finish = choice.finish_reason ?? finish;
    }
    expect(content).toBe("");
    expect(calls).toHaveLength(1);
    expect(calls[0]!.name).toBe("get_weather");
    expect(calls[0]!.id.length).toBeGreaterThan(0);
    expect(JSON.parse(calls[0]!.arguments)).toEqual({ city: "Paris" });
    expect(finish).toBe("tool_calls");
  });

  test("round trip: the tool result goes back through the template and the server answers 200", async () => {
    const first = await tool.client.chat.completions.create({ model: "tool", messages: ask, tools, temperature: 0 });
    const call = first.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    const result = JSON.stringify({ city: "Paris", temperature_c: 18, sky: "clear" });
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      ...ask,
      { role: "assistant", content: null, tool_calls: [call] },
      { role: "tool", tool_call_id: call.id, content: result },
    ];
    const raw = await tool.client.chat.completions.create({ model: "tool", messages, tools, temperature: 0 }).withResponse();
    expect(raw.response.status).toBe(200);
    const second = raw.data;
    // The rendered prompt now holds the call and the <tool_response> block: far more prompt tokens.
    expect(second.usage!.prompt_tokens).toBeGreaterThan(first.usage!.prompt_tokens + 20);
    expect(second.choices[0]!.finish_reason).toBe("tool_calls");
  });

  test("tool_choice none: the raw script comes back as content", async () => {
    const completion = await tool.client.chat.completions.create({ model: "tool", messages: ask, tools, tool_choice: "none", temperature: 0 });
    expect(completion.choices[0]!.message.content).toBe(TOOL_CALL_SCRIPT);
    expect(completion.choices[0]!.finish_reason).toBe("stop");
  });
});

describe("thinking separation (scripted <think> model)", () => {
  const greet = [{ role: "user" as const, content: "Say hello." }];

  test("not streamed: reasoning_content (and reasoning) and content", async () => {
    const completion = await thinking.client.chat.completions.create({ model: "thinking", messages: greet, temperature: 0 });
    const message = completion.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string; reasoning?: string };
    // The span between the tags comes back verbatim (as vLLM's Qwen3 parser does), newlines included.
    expect(message.reasoning_content).toBe("\nThe user wants a greeting.\n");
    expect(message.reasoning).toBe(message.reasoning_content!);
    expect(message.content).toBe("Hello there!");
    expect(completion.choices[0]!.finish_reason).toBe("stop");
  });

  test("streamed: reasoning deltas then content deltas, nothing of the tags leaks", async () => {
    const stream = await thinking.client.chat.completions.create({ model: "thinking", messages: greet, temperature: 0, stream: true });
    let reasoning = "";
    let content = "";
    let contentBeforeReasoningEnded = false;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as (OpenAI.ChatCompletionChunk.Choice.Delta & { reasoning_content?: string }) | undefined;
      if (delta?.reasoning_content && content !== "") contentBeforeReasoningEnded = true;
      reasoning += delta?.reasoning_content ?? "";
      content += delta?.content ?? "";
    }
    expect(reasoning).toBe("\nThe user wants a greeting.\n");
    expect(content).toBe("Hello there!");
    expect(contentBeforeReasoningEnded).toBe(false);
  });
});

describe("16 parallel streams", () => {
  // /health's latency under load is a figure, reported by bench/reliability (long prefill), not asserted here.
  test("all complete with the script and exact usage; /health answers 200 throughout", async () => {
    let done = false;
    const probes: number[] = [];
    const probing = (async () => {
      while (!done) {
        const started = performance.now();
        expect((await fetch(`${tool.base}/health`)).status).toBe(200);
        probes.push(performance.now() - started);
        await Bun.sleep(10);
      }
    })();
    const one = async () => {
      const stream = await tool.client.chat.completions.create({
        model: "tool", messages: ask, temperature: 0, stream: true, stream_options: { include_usage: true },
      });
      return collectChatStream(stream);
    };
    const results = await Promise.all(Array.from({ length: 16 }, one));
    done = true;
    await probing;
    for (const r of results) {
      expect(r.text).toBe(TOOL_CALL_SCRIPT);
      expect(r.finish).toBe("stop");
      // Every scripted token plus the <|im_end|> that ends it (counted, not shown). Text deltas can be fewer:
      // a leading "<t" is held back until it cannot be a <think> tag.
      expect(r.usage!.completion_tokens).toBe(toolModel.scriptIds.length + 1);
      expect(r.pieces).toBeGreaterThanOrEqual(toolModel.scriptIds.length - 2);
      expect(r.pieces).toBeLessThanOrEqual(toolModel.scriptIds.length);
      expect(r.usage!.total_tokens).toBe(r.usage!.prompt_tokens + r.usage!.completion_tokens);
    }
    expect(probes.length).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
