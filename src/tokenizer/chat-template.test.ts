import { describe, expect, test } from "bun:test";
import { type ChatMessage, ChatTemplate, foldLateSystem, normalizeMessage, RANGE_BUDGET, type ToolDefinition } from "./chat-template.ts";
import { ChatTemplateError } from "./errors.ts";
import { ModelTokenizer } from "./model-tokenizer.ts";
import { lenmlTokenizer, llama31Files } from "./testdata/fixtures.ts";

// Every expected string below was written by reading the model's template, not by pasting its output.
const SYSTEM_USER: ChatMessage[] = [
  { role: "system", content: "You are a helpful assistant." },
  { role: "user", content: "What is 2+2?" },
];
const WEATHER_TOOL: ToolDefinition = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Get the weather",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};
const TOOL_CONVERSATION: ChatMessage[] = [
  { role: "system", content: "You are a helpful assistant." },
  { role: "user", content: "Weather in Paris?" },
  {
    role: "assistant",
    content: null,
    reasoning_content: "Need the tool.",
    tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city": "Paris"}' } }],
  },
  { role: "tool", tool_call_id: "call_1", content: '{"temp": 21}' },
];
const TOOL_JSON =
  '{"type": "function", "function": {"name": "get_weather", "description": "Get the weather", "parameters": ' +
  '{"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}';
const TOOL_JSON_INDENT4 = `{
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the weather",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {
                    "type": "string"
                }
            },
            "required": [
                "city"
            ]
        }
    }
}`;

describe("Qwen3 template", () => {
  const prompt = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n";

  test("system + user with a generation prompt", async () => {
    expect((await lenmlTokenizer("qwen3")).applyChatTemplate(SYSTEM_USER)).toBe(prompt);
  });

  test("enable_thinking false closes an empty think block; true adds nothing", async () => {
    const tok = await lenmlTokenizer("qwen3");
    expect(tok.applyChatTemplate(SYSTEM_USER, { chatTemplateKwargs: { enable_thinking: false } })).toBe(`${prompt}<think>\n\n</think>\n\n`);
    expect(tok.applyChatTemplate(SYSTEM_USER, { chatTemplateKwargs: { enable_thinking: true } })).toBe(prompt);
  });

  test("reasoning of an assistant turn before the last user query is dropped", async () => {
    const tok = await lenmlTokenizer("qwen3");
    const messages: ChatMessage[] = [
      { role: "user", content: "What is 2+2?" },
      { role: "assistant", content: "4", reasoning_content: "Add two and two." },
      { role: "user", content: "And 3+3?" },
    ];
    const history = "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n" +
      "<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>assistant\n";
    expect(tok.applyChatTemplate(messages, { chatTemplateKwargs: { enable_thinking: true } })).toBe(history);
    expect(tok.applyChatTemplate(messages, { chatTemplateKwargs: { enable_thinking: false } })).toBe(`${history}<think>\n\n</think>\n\n`);
    const inline: ChatMessage[] = [messages[0]!, { role: "assistant", content: "<think>\nAdd.\n</think>\n\n4" }, messages[2]!];
    expect(tok.applyChatTemplate(inline, { chatTemplateKwargs: { enable_thinking: true } })).toBe(history);
  });

  test("tools, an assistant tool call with reasoning, and a tool result", async () => {
    const tok = await lenmlTokenizer("qwen3");
    const expected =
      "<|im_start|>system\nYou are a helpful assistant.\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n" +
      "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" + TOOL_JSON +
      '\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n' +
      "<|im_start|>user\nWeather in Paris?<|im_end|>\n" +
      '<|im_start|>assistant\n<think>\nNeed the tool.\n</think>\n\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>\n' +
      '<|im_start|>user\n<tool_response>\n{"temp": 21}\n</tool_response><|im_end|>\n' +
      "<|im_start|>assistant\n";
    expect(tok.applyChatTemplate(TOOL_CONVERSATION, { tools: [WEATHER_TOOL] })).toBe(expected);
  });

  test("text content parts are joined with newlines", async () => {
    const tok = await lenmlTokenizer("qwen3");
    const parts: ChatMessage[] = [{ role: "user", content: [{ type: "text", text: "A" }, { type: "text", text: "B" }] }];
    expect(tok.applyChatTemplate(parts, { addGenerationPrompt: false })).toBe("<|im_start|>user\nA\nB<|im_end|>\n");
  });
});

describe("Llama 3.1 template", () => {
  test("system + user (the lenml package's Llama 3 template)", async () => {
    const tok = await lenmlTokenizer("llama3_1");
    expect(tok.applyChatTemplate(SYSTEM_USER)).toBe(
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>" +
        "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
    );
  });

  test("system + user (Meta's 3.1 template)", async () => {
    const tok = ModelTokenizer.fromObjects(await llama31Files());
    expect(tok.applyChatTemplate(SYSTEM_USER)).toBe(
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n" +
        "You are a helpful assistant.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>" +
        "<|start_header_id|>assistant<|end_header_id|>\n\n",
    );
  });

  test("tools in the first user message, a tool call with parsed arguments, and a tool result", async () => {
    const tok = ModelTokenizer.fromObjects(await llama31Files());
    const expected =
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\nCutting Knowledge Date: December 2023\n" +
      "Today Date: 26 Jul 2024\n\nYou are a helpful assistant.<|eot_id|>" +
      "<|start_header_id|>user<|end_header_id|>\n\nGiven the following functions, please respond with a JSON for a function call " +
      "with its proper arguments that best answers the given prompt.\n\n" +
      'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.Do not use variables.\n\n' +
      TOOL_JSON_INDENT4 + "\n\nWeather in Paris?<|eot_id|>" +
      '<|start_header_id|>assistant<|end_header_id|>\n\n{"name": "get_weather", "parameters": {"city": "Paris"}}<|eot_id|>' +
      // A string is iterable in Jinja, so this template JSON-quotes string tool results.
      '<|start_header_id|>ipython<|end_header_id|>\n\n"{\\"temp\\": 21}"<|eot_id|>' +
      "<|start_header_id|>assistant<|end_header_id|>\n\n";
    expect(tok.applyChatTemplate(TOOL_CONVERSATION, { tools: [WEATHER_TOOL] })).toBe(expected);
  });

  test("two tool calls in one turn surface the template's own error as ChatTemplateError", async () => {
    const tok = ModelTokenizer.fromObjects(await llama31Files());
    const call = TOOL_CONVERSATION[2]!.tool_calls![0]!;
    const messages: ChatMessage[] = [...TOOL_CONVERSATION.slice(0, 2), { role: "assistant", content: "", tool_calls: [call, call] }];
    expect(() => tok.applyChatTemplate(messages, { tools: [WEATHER_TOOL] })).toThrow(ChatTemplateError);
    expect(() => tok.applyChatTemplate(messages, { tools: [WEATHER_TOOL] })).toThrow("only supports single tool-calls");
  });
});

describe("Gemma 3 template", () => {
  test("system + user: the system text prefixes the first user turn", async () => {
    expect((await lenmlTokenizer("gemma3")).applyChatTemplate(SYSTEM_USER)).toBe(
      "<bos><start_of_turn>user\nYou are a helpful assistant.\n\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n",
    );
  });

  test("assistant turns render as model; non-alternating roles raise ChatTemplateError", async () => {
    const tok = await lenmlTokenizer("gemma3");
    const turns: ChatMessage[] = [{ role: "user", content: " Hi " }, { role: "assistant", content: "Hello!" }, { role: "user", content: "Bye" }];
    expect(tok.applyChatTemplate(turns, { addGenerationPrompt: false })).toBe(
      "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n<start_of_turn>user\nBye<end_of_turn>\n",
    );
    expect(() => tok.applyChatTemplate([{ role: "user", content: "a" }, { role: "user", content: "b" }])).toThrow(
      "Conversation roles must alternate",
    );
  });
});

describe("ChatTemplate", () => {
  test("no template: ChatML fallback", () => {
    const t = new ChatTemplate(undefined, {});
    expect(t.isFallback).toBe(true);
    expect(t.render(SYSTEM_USER)).toBe(
      "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
    );
  });

  test("named templates: tool_use is chosen when tools are given", () => {
    const t = new ChatTemplate([{ name: "default", template: "D{{ bos_token }}" }, { name: "tool_use", template: "T{{ tools | length }}" }], { bos_token: "<s>" });
    expect(t.render(SYSTEM_USER)).toBe("D<s>");
    expect(t.render(SYSTEM_USER, { tools: [WEATHER_TOOL] })).toBe("T1");
    expect(t.render(SYSTEM_USER, { tools: [] })).toBe("D<s>");
  });

  test("a template that does not parse raises ChatTemplateError", () => {
    expect(() => new ChatTemplate("{% if %}", {})).toThrow(ChatTemplateError);
  });

  test("range() works as Jinja's, but a template asking for more than RANGE_BUDGET numbers fails fast", () => {
    const render = (source: string) => new ChatTemplate(source, {}).render(SYSTEM_USER);
    expect(render("{% for i in range(3) %}{{ i }}{% endfor %}|{% for i in range(5, 0, -2) %}{{ i }}{% endfor %}|{{ range(2, 2) | length }}"))
      .toBe("012|531|0");
    expect(render("{% for i in range(messages | length - 1, -1, -1) %}{{ messages[i].role }};{% endfor %}")).toBe("user;system;");
    // Attribute names and keyword keys called range are not the function.
    expect(render("{% set ns = namespace(range=7) %}{{ ns.range }}")).toBe("7");
    expect(() => render("{% for i in range(10**9) %}x{% endfor %}")).toThrow(
      `chat template failed to render: range() asked for 1000000000 numbers; a render may use at most ${RANGE_BUDGET} in all`,
    );
    expect(() => render("{% set r = range %}{% for i in r(30000) %}{% for j in r(30000) %}{% endfor %}{% endfor %}")).toThrow(
      "range() asked for 30000 numbers",
    );
    // The budget is per render: the same template renders again.
    const t = new ChatTemplate("{% for i in range(60000) %}{% endfor %}ok", {});
    expect([t.render(SYSTEM_USER), t.render(SYSTEM_USER)]).toEqual(["ok", "ok"]);
  });

  test("normalizeMessage parses arguments, keeps bad JSON as a string, keeps image parts", () => {
    const call = (args: string) => normalizeMessage({ role: "assistant", tool_calls: [{ function: { name: "f", arguments: args } }] });
    expect(call('{"a": [1, 2]}')).toEqual({ role: "assistant", content: "", tool_calls: [{ type: "function", function: { name: "f", arguments: { a: [1, 2] } } }] });
    expect((call("{oops") as { tool_calls: { function: { arguments: unknown } }[] }).tool_calls[0]!.function.arguments).toBe("{oops");
    const image = { type: "image_url", image_url: { url: "data:," } };
    expect(normalizeMessage({ role: "user", content: [{ type: "text", text: "see" }, image] }).content).toEqual([{ type: "text", text: "see" }, image]);
    expect(normalizeMessage({ role: "assistant", content: "x", reasoning: "r" })).toEqual({ role: "assistant", content: "x", reasoning_content: "r" });
  });
});

describe("continuing a final assistant message (a prefill)", () => {
  const PREFILL: ChatMessage[] = [...SYSTEM_USER, { role: "assistant", content: "The answer is" }];

  test("Qwen3: the turn stays open after the text, behind the template's empty think block", async () => {
    const tok = await lenmlTokenizer("qwen3");
    expect(tok.applyChatTemplate(PREFILL, { continueFinalMessage: true })).toBe(
      "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n" +
        "<|im_start|>assistant\n<think>\n\n</think>\n\nThe answer is",
    );
  });

  test("Llama 3.1 trims contents: a prefill with a trailing space continues from the trimmed text", async () => {
    const tok = await lenmlTokenizer("llama3_1");
    const trailing: ChatMessage[] = [...SYSTEM_USER, { role: "assistant", content: "The answer is " }];
    expect(tok.applyChatTemplate(trailing, { continueFinalMessage: true })).toBe(
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>" +
        "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nThe answer is",
    );
  });

  test("the last text part is the prefill; an empty final message is dropped for the generation prompt", () => {
    const t = new ChatTemplate(undefined, {});
    const parts: ChatMessage[] = [...SYSTEM_USER, { role: "assistant", content: [{ type: "text", text: "{" }] }];
    expect(t.render(parts, { continueFinalMessage: true })).toEndWith("<|im_start|>assistant\n{");
    const empty: ChatMessage[] = [...SYSTEM_USER, { role: "assistant", content: "" }];
    expect(t.render(empty, { continueFinalMessage: true })).toBe(t.render(SYSTEM_USER));
  });

  test("no final assistant message, or a template that does not render its text, is a ChatTemplateError", () => {
    const t = new ChatTemplate(undefined, {});
    expect(() => t.render(SYSTEM_USER, { continueFinalMessage: true })).toThrow("needs an assistant message last");
    const upper = new ChatTemplate("{% for m in messages %}{{ m.content | upper }}{% endfor %}", {});
    expect(() => upper.render(PREFILL, { continueFinalMessage: true })).toThrow("cannot be continued");
  });
});

describe("a system message past the first", () => {
  const LATE: ChatMessage[] = [
    { role: "system", content: "S0" }, { role: "user", content: "Hi" }, { role: "system", content: "MID" },
    { role: "assistant", content: "Yes" }, { role: "system", content: "LATE" }, { role: "user", content: [{ type: "text", text: "Q" }, { type: "image_url", image_url: { url: "data:," } }] },
  ];
  // Mistral-like: a system message past the first raises.
  const STRICT = "{% for m in messages %}{% if m.role == 'system' and not loop.first %}{{ raise_exception('System message must be first') }}" +
    "{% endif %}[{{ m.role }}]{% if m.content is string %}{{ m.content }}{% else %}{% for p in m.content %}{{ p.text or '<img>' }}|{% endfor %}{% endif %}{% endfor %}";

  test("a template that takes it renders it where it is", async () => {
    const tok = await lenmlTokenizer("qwen3");
    expect(tok.applyChatTemplate(LATE.slice(0, 3))).toBe(
      "<|im_start|>system\nS0<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>system\nMID<|im_end|>\n<|im_start|>assistant\n");
  });

  test("a template that refuses it gets it folded into the user turn before or after it, images kept", () => {
    const t = new ChatTemplate(STRICT, {});
    expect(t.render(LATE)).toBe("[system]S0[user]Hi\n\nMID[assistant]Yes[user]LATE|Q|<img>|");
    expect(foldLateSystem(LATE.slice(0, 2))).toBeNull();
    // Another failure of the template is its own: no fold, the error stands.
    expect(() => new ChatTemplate("{{ raise_exception('no') }}", {}).render(LATE)).toThrow(ChatTemplateError);
  });
});
