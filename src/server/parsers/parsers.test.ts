import { describe, expect, test } from "bun:test";
import { ChoiceDecoder, type DecodedEvent } from "./choice-decoder.ts";
import { HermesToolParser } from "./hermes.ts";
import { partialTagLength, scanToMarker } from "./holdback.ts";
import { Llama3JsonToolParser } from "./llama3-json.ts";
import { ReasoningSplitter } from "./reasoning.ts";
import { jsonObjectEnd, toolCallFromJson } from "./tool-call.ts";
import { runTools } from "./testing.ts";

const THINK = { start: "<think>", end: "</think>" };

function runReasoning(text: string, size: number, opens = false) {
  const s = new ReasoningSplitter(THINK, opens);
  let reasoning = "";
  let content = "";
  for (let i = 0; i < text.length; i += size) {
    const step = s.push(text.slice(i, i + size));
    reasoning += step.reasoning;
    content += step.content;
  }
  const last = s.flush();
  return { reasoning: reasoning + last.reasoning, content: content + last.content };
}

describe("holdback", () => {
  test("partialTagLength finds the longest tag prefix at the end", () => {
    expect(partialTagLength("abc <tool", "<tool_call>")).toBe(5);
    expect(partialTagLength("abc <", "<tool_call>")).toBe(1);
    expect(partialTagLength("abc", "<tool_call>")).toBe(0);
    expect(partialTagLength("<tool_call>", "<tool_call>")).toBe(0);
  });
  test("scanToMarker: text before the marker and what follows it, or all but a partial marker and its leading space", () => {
    expect(scanToMarker("Hi  <tool_call>{", "<tool_call>")).toEqual({ text: "Hi", found: true, rest: "{" });
    expect(scanToMarker("Hi <tool", "<tool_call>")).toEqual({ text: "Hi", found: false, rest: " <tool" });
    expect(scanToMarker("Hi there ", "<tool_call>")).toEqual({ text: "Hi there", found: false, rest: " " });
    expect(scanToMarker("plain", "[TOOL_CALLS]")).toEqual({ text: "plain", found: false, rest: "" });
  });
  test("jsonObjectEnd respects strings and escapes", () => {
    expect(jsonObjectEnd('{"a":"}"} tail')).toBe(9);
    expect(jsonObjectEnd('{"a":"\\"}"}')).toBe(11);
    expect(jsonObjectEnd('{"a":{"b":1}')).toBe(-1);
  });
  test("toolCallFromJson accepts arguments or parameters, rejects non-calls", () => {
    expect(toolCallFromJson('{"name":"f","arguments":{"x":1}}')).toEqual({ name: "f", arguments: '{"x":1}' });
    expect(toolCallFromJson('{"name": "f", "arguments": { "x" : 1.50 }}')).toEqual({ name: "f", arguments: '{ "x" : 1.50 }' });
    expect(toolCallFromJson('{"name":"f","parameters":{"y":"z"}}')).toEqual({ name: "f", arguments: '{"y":"z"}' });
    expect(toolCallFromJson('{"name":"f"}')).toEqual({ name: "f", arguments: "{}" });
    expect(toolCallFromJson('{"answer":1}')).toBeNull();
    expect(toolCallFromJson("not json")).toBeNull();
  });
});

describe("ReasoningSplitter", () => {
  for (const size of [1, 2, 3, 5, 100]) {
    test(`splits think span fed ${size} chars at a time`, () => {
      const r = runReasoning("<think>\nplan a b</think>\n\nThe answer.", size);
      expect(r).toEqual({ reasoning: "\nplan a b", content: "The answer." });
    });
    test(`prompt-opened span (only the end tag appears), ${size} chars`, () => {
      expect(runReasoning("step 1</think>Done", size, true)).toEqual({ reasoning: "step 1", content: "Done" });
    });
  }
  test("no think tag: all content, and a later <think> is not reasoning", () => {
    expect(runReasoning("Hello <think>x</think>", 1)).toEqual({ reasoning: "", content: "Hello <think>x</think>" });
  });
  test("unterminated reasoning stays reasoning; a partial tag at the end is emitted on flush", () => {
    expect(runReasoning("<think>thinking </thi", 2)).toEqual({ reasoning: "thinking </thi", content: "" });
  });
  test("prompt-opened span whose output repeats the start tag", () => {
    expect(runReasoning("<think>a</think>b", 1, true)).toEqual({ reasoning: "a", content: "b" });
  });
});

describe("HermesToolParser", () => {
  const one = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';
  const two = `${one}\n<tool_call>\n{"name": "get_time", "arguments": {"tz": "CET"}}\n</tool_call>`;
  for (const size of [1, 2, 4, 7, 1000]) {
    test(`text then parallel calls, ${size} chars at a time, no tag leaks`, () => {
      const r = runTools(new HermesToolParser(), `Let me check.\n\n${two}\n`, size);
      expect(r.content).toBe("Let me check.");
      expect(r.calls).toEqual([
        { name: "get_weather", arguments: '{"city": "Paris"}' },
        { name: "get_time", arguments: '{"tz": "CET"}' },
      ]);
      for (const piece of r.contentPieces) expect(piece).not.toContain("<");
    });
  }
  test("plain text with a '<' passes through", () => {
    const r = runTools(new HermesToolParser(), "a < b and <b>bold</b>", 1);
    expect(r).toMatchObject({ content: "a < b and <b>bold</b>", calls: [] });
  });
  test("an invalid block is returned as text", () => {
    const r = runTools(new HermesToolParser(), "<tool_call>oops</tool_call>", 3);
    expect(r).toMatchObject({ content: "<tool_call>oops</tool_call>", calls: [] });
  });
  test("a call without its close tag at the end still parses", () => {
    const r = runTools(new HermesToolParser(), '<tool_call>\n{"name":"f","arguments":{}}', 4);
    expect(r.calls).toEqual([{ name: "f", arguments: "{}" }]);
  });
  test("string arguments are kept as given", () => {
    const r = runTools(new HermesToolParser(), '<tool_call>{"name":"f","arguments":"{\\"a\\":1}"}</tool_call>', 5);
    expect(r.calls).toEqual([{ name: "f", arguments: '{"a":1}' }]);
  });
});

describe("Llama3JsonToolParser", () => {
  const calls = '<|python_tag|>{"name": "get_weather", "parameters": {"city": "Paris"}}; {"name": "get_time", "parameters": {}}';
  for (const size of [1, 3, 1000]) {
    test(`python_tag and ';'-separated calls, ${size} chars at a time`, () => {
      const r = runTools(new Llama3JsonToolParser(), calls, size);
      expect(r.content).toBe("");
      expect(r.calls).toEqual([
        { name: "get_weather", arguments: '{"city": "Paris"}' },
        { name: "get_time", arguments: "{}" },
      ]);
    });
  }
  test("bare object call", () => {
    const r = runTools(new Llama3JsonToolParser(), ' {"name":"f","parameters":{"q":"x}"}}', 2);
    expect(r.calls).toEqual([{ name: "f", arguments: '{"q":"x}"}' }]);
  });
  test("JSON that is not a call is content", () => {
    const r = runTools(new Llama3JsonToolParser(), '{"answer": 42} done', 2);
    expect(r).toMatchObject({ content: '{"answer": 42} done', calls: [] });
  });
  test("ordinary text is content, streamed without holdback", () => {
    const parser = new Llama3JsonToolParser();
    expect(parser.push("Hello")).toEqual([{ type: "content", text: "Hello" }]);
    expect(parser.push(" {x}")).toEqual([{ type: "content", text: " {x}" }]);
  });
});

describe("ChoiceDecoder", () => {
  function run(decoder: ChoiceDecoder, pieces: string[]) {
    const events: DecodedEvent[] = [...pieces.flatMap((p) => decoder.push(p)), ...decoder.finish()];
    const all = { reasoning: "", content: "", toolCalls: [] as { index: number; id: string; function: { name: string; arguments: string } }[] };
    for (const e of events) {
      if (e.type === "reasoning") all.reasoning += e.text;
      else if (e.type === "content") all.content += e.text;
      else if (e.type === "tool_start") all.toolCalls.push(e.call);
    }
    return all;
  }
  test("reasoning then a tool call: ids unique, indexes sequential", () => {
    const d = new ChoiceDecoder({ reasoning: THINK, promptOpensReasoning: false, toolCallFormat: "hermes", parallelToolCalls: true });
    const out = run(d, ["<think>why</think>", '<tool_call>{"name":"a"}</tool_call>', '<tool_call>{"name":"b"}</tool_call>']);
    expect(out.reasoning).toBe("why");
    expect(out.toolCalls.map((c) => [c.index, c.function.name])).toEqual([[0, "a"], [1, "b"]]);
    expect(out.toolCalls[0]!.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(out.toolCalls[0]!.id).not.toBe(out.toolCalls[1]!.id);
    expect(d.calledTools).toBe(true);
  });
  test("parallelToolCalls false keeps the first call only", () => {
    const d = new ChoiceDecoder({ promptOpensReasoning: false, toolCallFormat: "hermes", parallelToolCalls: false });
    const out = run(d, ['<tool_call>{"name":"a"}</tool_call><tool_call>{"name":"b"}</tool_call>']);
    expect(out.toolCalls.map((c) => c.function.name)).toEqual(["a"]);
  });
  test("format none leaves tool markup as content", () => {
    const d = new ChoiceDecoder({ promptOpensReasoning: false, toolCallFormat: "none", parallelToolCalls: true });
    expect(run(d, ['<tool_call>{"name":"a"}</tool_call>']).content).toBe('<tool_call>{"name":"a"}</tool_call>');
  });
  test("qwen3_coder converts by the request's tool schema; argument pieces join to the final arguments", () => {
    const tools = [{ type: "function" as const, function: { name: "f", parameters: { type: "object", properties: { n: { type: "integer" } } } } }];
    const d = new ChoiceDecoder({ promptOpensReasoning: false, toolCallFormat: "qwen3_coder", parallelToolCalls: true, tools });
    const text = "<tool_call>\n<function=f>\n<parameter=n>\n7\n</parameter>\n<parameter=s>\nx\n</parameter>\n</function>\n</tool_call>";
    const events = [...[...text].flatMap((ch) => d.push(ch)), ...d.finish()];
    const pieces = events.flatMap((e) => (e.type === "tool_arguments" ? [e.text] : []));
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join("")).toBe('{"n":7,"s":"x"}');
    expect(events.filter((e) => e.type === "tool_end")).toHaveLength(1);
  });
});
