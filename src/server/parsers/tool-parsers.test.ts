/**
 * One conformance suite for every tool-call parser: complete outputs, every split into two chunks (streamed
 * equals whole), one character at a time, several calls, text around calls, malformed markup left as content,
 * and arguments kept as the model wrote them.
 */
import { describe, expect, test } from "bun:test";
import type { ToolCallFormat } from "../../engine/protocol.ts";
import { createToolParser } from "./registry.ts";
import { runTools, type ParsedOutput } from "./testing.ts";
import type { ToolParserContext } from "./tool-call.ts";

interface Case {
  name: string;
  text: string;
  expected: Partial<Omit<ParsedOutput, "contentPieces">>;
}

const TOOLS: ToolParserContext = {
  tools: [
    {
      type: "function",
      function: {
        name: "get_weather",
        parameters: {
          type: "object",
          properties: {
            city: { type: "string" }, days: { type: "integer" }, metric: { type: "boolean" }, scale: { type: "number" },
            tags: { type: "array" }, note: { anyOf: [{ type: "string" }, { type: "null" }] },
          },
        },
      },
    },
  ],
};

const CASES: Record<Exclude<ToolCallFormat, "none">, Case[]> = {
  hermes: [
    { name: "one call, raw arguments kept", text: '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "days":  2.50}}\n</tool_call>',
      expected: { content: "", calls: [{ name: "get_weather", arguments: '{"city": "Paris", "days":  2.50}' }] } },
    { name: "text before and after, two calls", text: 'Let me check.\n<tool_call>\n{"name": "a", "arguments": {"q": "<tool_call> }"}}\n</tool_call>\n<tool_call>\n{"name": "b", "arguments": {}}\n</tool_call>\nDone.',
      expected: { content: "Let me check.\nDone.", calls: [{ name: "a", arguments: '{"q": "<tool_call> }"}' }, { name: "b", arguments: "{}" }] } },
    { name: "a close tag inside the arguments ends the call there (as in vLLM's regex)", text: '<tool_call>{"name": "a", "arguments": {"q": "</tool_call>"}}',
      expected: { content: '"}}', calls: [{ name: "a", arguments: '{"q": "' }] } },
    { name: "name after arguments, parsed whole", text: '<tool_call>{"arguments": {"x": [1, 2]}, "name": "f"}</tool_call>',
      expected: { content: "", calls: [{ name: "f", arguments: '{"x": [1, 2]}' }] } },
    { name: "malformed block is content", text: 'Hi <tool_call>{"nom": "f"}</tool_call> and <tool_call>oops</tool_call>',
      expected: { content: 'Hi<tool_call>{"nom": "f"}</tool_call> and<tool_call>oops</tool_call>', calls: [] } },
    { name: "cut off mid-arguments: the call ends where it stops", text: '<tool_call>{"name": "f", "arguments": {"a": "b',
      expected: { content: "", calls: [{ name: "f", arguments: '{"a": "b' }] } },
  ],
  qwen3_coder: [
    { name: "typed parameters by schema", text: "<tool_call>\n<function=get_weather>\n<parameter=city>\nSan Francisco\n</parameter>\n<parameter=days>\n3\n</parameter>\n<parameter=metric>\nTrue\n</parameter>\n<parameter=scale>\n2.0\n</parameter>\n<parameter=tags>\n[\"a\", 'b']\n</parameter>\n<parameter=note>\nnull\n</parameter>\n<parameter=extra>\n42\n</parameter>\n</function>\n</tool_call>",
      expected: { content: "", calls: [{ name: "get_weather", arguments: JSON.stringify({ city: "San Francisco", days: 3, metric: true, scale: 2, tags: ["a", "b"], note: null, extra: "42" }) }] } },
    { name: "text around two calls; multi-line value kept", text: "Sure.\n<tool_call>\n<function=write>\n<parameter=body>\nline 1\n  line 2\n\n</parameter>\n</function>\n</tool_call>\n<tool_call>\n<function=noop>\n</function>\n</tool_call>\nAfter.",
      expected: { content: "Sure.\nAfter.", calls: [{ name: "write", arguments: '{"body":"line 1\\n  line 2\\n"}' }, { name: "noop", arguments: "{}" }] } },
    { name: "malformed block is content", text: "a <tool_call>\nplain words\n</tool_call> b",
      expected: { content: "a<tool_call>\nplain words\n</tool_call> b", calls: [] } },
    { name: "no parameters, as a forced call of a tool without parameters writes it (a blank line)", text: "<tool_call>\n<function=noop>\n\n</function>\n</tool_call>",
      expected: { content: "", calls: [{ name: "noop", arguments: "{}" }] } },
    { name: "cut off: the call ends with the parameters it has", text: "<tool_call>\n<function=get_weather>\n<parameter=days>\n4\n</parameter>\n<parameter=city>\nPa",
      expected: { content: "", calls: [{ name: "get_weather", arguments: '{"days":4}' }] } },
  ],
  llama3_json: [
    { name: "python_tag, parameters, raw kept", text: '<|python_tag|>{"name": "get_weather", "parameters": {"city": "Oslo", "n": 1e3}}',
      expected: { content: "", calls: [{ name: "get_weather", arguments: '{"city": "Oslo", "n": 1e3}' }] } },
    { name: "bare objects separated by ';', text after", text: ' {"name": "a", "parameters": {"x": "}"}}; {"name": "b", "arguments": {}} then words',
      expected: { content: "then words", calls: [{ name: "a", arguments: '{"x": "}"}' }, { name: "b", arguments: "{}" }] } },
    { name: "text first: no calls", text: 'Here: {"name": "a", "parameters": {}}',
      expected: { content: 'Here: {"name": "a", "parameters": {}}', calls: [] } },
    { name: "JSON that is not a call is content", text: '{"answer": 42} done', expected: { content: '{"answer": 42} done', calls: [] } },
  ],
  mistral: [
    { name: "older form: JSON array, raw kept", text: '[TOOL_CALLS] [{"name": "get_weather", "arguments": {"city": "Paris"}}, {"name": "b", "arguments": {"n":  1}}]',
      expected: { content: "", calls: [{ name: "get_weather", arguments: '{"city": "Paris"}' }, { name: "b", arguments: '{"n":  1}' }] } },
    { name: "newer form: name[ARGS]{...}, two calls, text before and after", text: 'Checking.[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}[TOOL_CALLS]get_time[CALL_ID]a1b2c3d4e[ARGS]{"tz": "CET"} ok',
      expected: { content: "Checking. ok", calls: [{ name: "get_weather", arguments: '{"city": "Paris"}' }, { name: "get_time", arguments: '{"tz": "CET"}' }] } },
    { name: "single object after the marker", text: '[TOOL_CALLS] {"name": "f", "arguments": {}}',
      expected: { content: "", calls: [{ name: "f", arguments: "{}" }] } },
    { name: "malformed: content with the marker", text: "x [TOOL_CALLS] not a call!",
      expected: { content: "x[TOOL_CALLS] not a call!", calls: [] } },
    { name: "malformed array element", text: '[TOOL_CALLS][{"oops": 1}]', expected: { content: '[TOOL_CALLS][{"oops": 1}]', calls: [] } },
  ],
  pythonic: [
    { name: "two calls with Python literals", text: "[get_weather(city='Paris', days=3, metric=True, tags=['a', \"b\"], note=None), get_time()]",
      expected: { content: "", calls: [{ name: "get_weather", arguments: '{"city":"Paris","days":3,"metric":true,"tags":["a","b"],"note":null}' }, { name: "get_time", arguments: "{}" }] } },
    { name: "text after the list", text: " [f(x='a]b')]\nDone.", expected: { content: "Done.", calls: [{ name: "f", arguments: '{"x":"a]b"}' }] } },
    { name: "text before: all content", text: "Sure: [f(x=1)]", expected: { content: "Sure: [f(x=1)]", calls: [] } },
    { name: "a list that is not calls is content", text: "[1, 2, 3] are numbers", expected: { content: "[1, 2, 3] are numbers", calls: [] } },
    { name: "positional arguments are not a call", text: "[f(1)]", expected: { content: "[f(1)]", calls: [] } },
  ],
  openai: [
    { name: "analysis as reasoning, a call with raw JSON", text: '<|channel|>analysis<|message|>Need weather.<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city": "Tokyo"}<|call|>',
      expected: { reasoning: "Need weather.", content: "", calls: [{ name: "get_weather", arguments: '{"city": "Tokyo"}' }] } },
    { name: "recipient before the channel; final answer after", text: '<|channel|>analysis<|message|>a<|end|><|start|>assistant to=functions.f<|channel|>commentary json<|message|>{}<|call|><|start|>assistant<|channel|>final<|message|>Done.<|return|>',
      expected: { reasoning: "a", content: "Done.", calls: [{ name: "f", arguments: "{}" }] } },
    { name: "two calls", text: '<|channel|>commentary to=functions.a <|constrain|>json<|message|>{"x":1}<|call|><|start|>assistant<|channel|>commentary to=functions.b <|constrain|>json<|message|>{"y": [2]}<|call|>',
      expected: { content: "", calls: [{ name: "a", arguments: '{"x":1}' }, { name: "b", arguments: '{"y": [2]}' }] } },
    { name: "plain text without Harmony markup is content", text: "Hello <|there", expected: { content: "Hello <|there", calls: [] } },
  ],
};

for (const [format, cases] of Object.entries(CASES) as [Exclude<ToolCallFormat, "none">, Case[]][]) {
  const make = () => createToolParser(format, TOOLS)!;
  describe(`${format} parser`, () => {
    for (const c of cases) {
      test(`${c.name}: whole`, () => {
        expect(runTools(make(), c.text)).toMatchObject(c.expected);
      });
      test(`${c.name}: every split into two chunks, and one character at a time, equal the whole`, () => {
        const { contentPieces: _, ...whole } = runTools(make(), c.text);
        for (let i = 0; i <= c.text.length; i++) {
          const { contentPieces: __, ...split } = runTools(make(), [c.text.slice(0, i), c.text.slice(i)]);
          expect(split).toEqual(whole);
        }
        const { contentPieces, ...single } = runTools(make(), c.text, 1);
        expect(single).toEqual(whole);
        if (c.expected.calls?.length) for (const piece of contentPieces) expect(piece).not.toMatch(/<tool_call>|\[TOOL_CALLS\]|<\|/);
      });
    }
  });
}
