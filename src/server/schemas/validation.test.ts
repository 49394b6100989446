import { describe, expect, test } from "bun:test";
import { chatBody, post, testApp } from "../testing/helpers.ts";

/** [description, extra chat fields, expected param]. One 400 per range. */
const CHAT_CASES: [string, Record<string, unknown>, string][] = [
  ["temperature < 0", { temperature: -0.1 }, "temperature"],
  ["temperature > 2", { temperature: 2.1 }, "temperature"],
  ["temperature wrong type", { temperature: "hot" }, "temperature"],
  ["top_p = 0", { top_p: 0 }, "top_p"],
  ["top_p > 1", { top_p: 1.5 }, "top_p"],
  ["top_k < -1", { top_k: -2 }, "top_k"],
  ["top_k not an integer", { top_k: 1.5 }, "top_k"],
  ["min_p < 0", { min_p: -0.5 }, "min_p"],
  ["min_p > 1", { min_p: 1.5 }, "min_p"],
  ["seed not an integer", { seed: 1.5 }, "seed"],
  ["presence_penalty < -2", { presence_penalty: -2.5 }, "presence_penalty"],
  ["presence_penalty > 2", { presence_penalty: 2.5 }, "presence_penalty"],
  ["frequency_penalty < -2", { frequency_penalty: -3 }, "frequency_penalty"],
  ["frequency_penalty > 2", { frequency_penalty: 3 }, "frequency_penalty"],
  ["repetition_penalty = 0", { repetition_penalty: 0 }, "repetition_penalty"],
  ["logit_bias non-numeric key", { logit_bias: { abc: 1 } }, "logit_bias.abc"],
  ["logit_bias value > 100", { logit_bias: { "42": 101 } }, "logit_bias.42"],
  ["logit_bias value < -100", { logit_bias: { "42": -101 } }, "logit_bias.42"],
  ["logit_bias key 2^31-1", { logit_bias: { "2147483647": 100 } }, "logit_bias.2147483647"],
  ["logit_bias key past 32 bits", { logit_bias: { "9999999999": 100 } }, "logit_bias.9999999999"],
  ["logit_bias key negative", { logit_bias: { "-1": 1 } }, "logit_bias.-1"],
  ["logit_bias key fractional", { logit_bias: { "1.5": 1 } }, "logit_bias.1.5"],
  ["logit_bias key with a leading zero", { logit_bias: { "015": 1 } }, "logit_bias.015"],
  ["logit_bias key = vocabulary size", { logit_bias: { "32000": 1 } }, "logit_bias.32000"],
  ["logit_bias value not a number", { logit_bias: { "42": "5" } }, "logit_bias.42"],
  ["logit_bias with 301 entries", { logit_bias: Object.fromEntries(Array.from({ length: 301 }, (_, i) => [String(i), 1])) }, "logit_bias"],
  ["stop: 17 strings", { stop: Array.from({ length: 17 }, (_, i) => `s${i}`) }, "stop"],
  ["stop: a string over 1000 characters", { stop: ["ok", "x".repeat(1001)] }, "stop[1]"],
  ["stop: one string over 1000 characters", { stop: "x".repeat(1001) }, "stop"],
  ["stop: wrong type", { stop: 3 }, "stop"],
  ["n = 0", { n: 0 }, "n"],
  ["n too large", { n: 17 }, "n"],
  ["n × max_tokens over 16 context lengths", { n: 16, max_tokens: 4097 }, "max_tokens"],
  ["max_tokens = 0", { max_tokens: 0 }, "max_tokens"],
  ["max_tokens not an integer", { max_tokens: 1.5 }, "max_tokens"],
  ["max_completion_tokens = 0", { max_completion_tokens: 0 }, "max_completion_tokens"],
  ["top_logprobs > 20", { logprobs: true, top_logprobs: 21 }, "top_logprobs"],
  ["top_logprobs without logprobs", { top_logprobs: 2 }, "top_logprobs"],
  ["logprobs wrong type", { logprobs: "yes" }, "logprobs"],
  ["stream wrong type", { stream: "yes" }, "stream"],
  ["stream_options wrong type", { stream_options: { include_usage: 1 } }, "stream_options.include_usage"],
  ["user wrong type", { user: 5 }, "user"],
  ["chat_template_kwargs wrong type", { chat_template_kwargs: "x" }, "chat_template_kwargs"],
  ["response_format unknown type", { response_format: { type: "xml" } }, "response_format.type"],
  ["two output constraints", { response_format: { type: "json_object" }, structured_outputs: { regex: "a+" } }, "structured_outputs.regex"],
  ["structured_outputs.choice empty", { structured_outputs: { choice: [] } }, "structured_outputs.choice"],
  ["tool_choice unknown string", { tool_choice: "sometimes" }, "tool_choice"],
  ["tool_choice required without tools", { tool_choice: "required" }, "tool_choice"],
  ["tool_choice names a missing tool", { tools: [{ type: "function", function: { name: "a" } }], tool_choice: { type: "function", function: { name: "b" } } }, "tool_choice"],
  ["tools wrong shape", { tools: [{ type: "function" }] }, "tools[0].function"],
  ...(
    [
      ["not a schema", { type: "object", properties: 5 }],
      ["a bad type name", { type: "object", properties: { a: { type: "nope" } } }],
      ["required not a list", { type: "object", required: "a" }],
      ["a top level other than object", { type: "string" }],
      ["draft-04", { $schema: "http://json-schema.org/draft-04/schema#", type: "object" }],
    ] as const
  ).map(([what, parameters]): [string, Record<string, unknown>, string] => [
    `tool parameters: ${what}`,
    { tools: [{ type: "function", function: { name: "ok", parameters: { type: "object" } } }, { type: "function", function: { name: "f", parameters } }] },
    "tools[1].function.parameters",
  ]),
  ["parallel_tool_calls wrong type", { parallel_tool_calls: "no" }, "parallel_tool_calls"],
  ["messages empty", { messages: [] }, "messages"],
  ["messages missing", { messages: undefined }, "messages"],
  ["message role unknown", { messages: [{ role: "robot", content: "x" }] }, "messages[0].role"],
  ["message content wrong type", { messages: [{ role: "user", content: 5 }] }, "messages[0].content"],
  ["content part unknown type", { messages: [{ role: "user", content: [{ type: "audio", x: 1 }] }] }, "messages[0].content[0].type"],
  ["tool message without tool_call_id", { messages: [{ role: "tool", content: "x" }] }, "messages[0].tool_call_id"],
  ["model wrong type", { model: 5 }, "model"],
];

describe("chat parameter validation: 400 with param", () => {
  for (const [name, extra, param] of CHAT_CASES) {
    test(name, async () => {
      const { app, engine } = testApp();
      const res = await post(app, "/v1/chat/completions", chatBody(extra));
      expect(res.status).toBe(400);
      const body = await res.json();
      expect(body.error.type).toBe("invalid_request_error");
      expect(body.error.param).toBe(param);
      expect(typeof body.error.message).toBe("string");
      expect(engine.requests).toHaveLength(0);
    });
  }
});

describe("union fields: the error says what is wrong, not zod's bare \"Invalid input\"", () => {
  const error = async (path: string, body: Record<string, unknown>) => {
    const { app } = testApp();
    const res = await post(app, path, body);
    expect(res.status).toBe(400);
    const { message, param } = (await res.json()).error;
    return { message, param };
  };
  test("stop: 17 strings names the limit", async () => {
    expect(await error("/v1/chat/completions", chatBody({ stop: Array.from({ length: 17 }, (_, i) => `s${i}`) }))).toEqual({
      message: "stop: at most 16 stop strings",
      param: "stop",
    });
  });
  test("a value of none of the union's types names the types", async () => {
    expect(await error("/v1/chat/completions", chatBody({ stop: 3 }))).toEqual({
      message: "stop: Invalid input: expected string or array, received number",
      param: "stop",
    });
    expect(await error("/v1/completions", { prompt: 5 })).toEqual({
      message: "prompt: Invalid input: expected string or array, received number",
      param: "prompt",
    });
  });
  test("a bad content part names its field", async () => {
    expect(await error("/v1/chat/completions", chatBody({ messages: [{ role: "user", content: [{ type: "text" }] }] }))).toEqual({
      message: "messages[0].content[0].text: Invalid input: expected string, received undefined",
      param: "messages[0].content[0].text",
    });
  });
  test("Responses: a bad input item names its field", async () => {
    expect(await error("/v1/responses", { input: [{ role: "tool", content: "x" }] })).toEqual({
      message: 'input[0].role: Invalid option: expected one of "user"|"assistant"|"system"|"developer"',
      param: "input[0].role",
    });
    expect(await error("/v1/responses", { input: [{ type: "function_call", name: "f", arguments: "{}" }] })).toEqual({
      message: "input[0].call_id: Invalid input: expected string, received undefined",
      param: "input[0].call_id",
    });
    expect((await error("/v1/responses", {})).message).toBe("input: Invalid input: expected string or array, received undefined");
  });
});

describe("logit_bias errors", () => {
  test("name the key and say what a token id is", async () => {
    const { app } = testApp();
    const res = await post(app, "/v1/chat/completions", chatBody({ logit_bias: { "5": 1, "2147483647": 100 } }));
    expect((await res.json()).error).toEqual({
      message: "logit_bias.2147483647: keys must be token ids: whole numbers from 0, below the vocabulary size",
      type: "invalid_request_error",
      param: "logit_bias.2147483647",
      code: "invalid_value",
    });
  });
});

describe("accepted parameters reach the engine", () => {
  test("every sampling field maps to its engine name", async () => {
    const { app, engine } = testApp();
    const res = await post(
      app,
      "/v1/chat/completions",
      chatBody({
        max_tokens: 50, max_completion_tokens: 40, temperature: 0, top_p: 0.9, top_k: 20, min_p: 0.05, seed: 7,
        presence_penalty: 0.5, frequency_penalty: -0.5, repetition_penalty: 1.1, logit_bias: { "15": -100, "7": 5.5 },
        stop: "END", n: 1, logprobs: true, top_logprobs: 3, user: "u1", parallel_tool_calls: true,
        response_format: { type: "text" },
      }),
    );
    expect(res.status).toBe(200);
    expect(engine.requests[0]!.sampling).toEqual({
      maxTokens: 40, temperature: 0, topP: 0.9, topK: 20, minP: 0.05, seed: 7, presencePenalty: 0.5,
      frequencyPenalty: -0.5, repetitionPenalty: 1.1, logitBias: { 15: -100, 7: 5.5 }, stop: ["END"], n: 1,
      logprobs: true, topLogprobs: 3,
    });
  });
  test("top_k -1 means disabled (0); stop list kept; nulls are defaults", async () => {
    const { app, engine } = testApp();
    await post(app, "/v1/chat/completions", chatBody({ top_k: -1, stop: ["a", "b"], temperature: null, seed: null }));
    expect(engine.requests[0]!.sampling).toEqual({
      topK: 0, presencePenalty: 0, frequencyPenalty: 0, logitBias: {}, stop: ["a", "b"], n: 1, logprobs: false, topLogprobs: 0,
    });
  });
  test("limits at their edge are accepted", async () => {
    const { app, engine } = testApp();
    const logitBias = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [String(31999 - i), -100]));
    const stop = Array.from({ length: 16 }, (_, i) => `${i}`.padEnd(1000, "x"));
    const res = await post(app, "/v1/chat/completions", chatBody({ logit_bias: logitBias, stop, n: 16, max_tokens: 4096 }));
    expect(res.status).toBe(200);
    const sampling = engine.requests[0]!.sampling;
    expect(Object.keys(sampling.logitBias)).toHaveLength(300);
    expect(sampling.logitBias[31999]).toBe(-100);
    expect(sampling.stop).toEqual(stop);
    expect([sampling.n, sampling.maxTokens]).toEqual([16, 4096]);
  });
  test("tool parameters: draft-07, 2020-12 and an absent type are valid schemas", async () => {
    const { app, engine } = testApp();
    const tool = (parameters: Record<string, unknown>) => ({ type: "function", function: { name: "f", parameters } });
    const tools = [
      tool({ type: "object", properties: { city: { type: "string", enum: ["Paris"] } }, required: ["city"] }),
      tool({ $schema: "https://json-schema.org/draft/2020-12/schema", type: "object", $defs: { c: { type: "string" } } }),
      tool({ properties: { n: { type: ["integer", "null"] } } }),
    ];
    const res = await post(app, "/v1/chat/completions", chatBody({ tools }));
    expect(res.status).toBe(200);
    const sent = engine.requests[0]!;
    expect(sent.kind === "chat" ? sent.tools?.length : -1).toBe(3);
  });
  test("unknown fields are ignored", async () => {
    const { app } = testApp();
    expect((await post(app, "/v1/chat/completions", chatBody({ some_vendor_field: 1 }))).status).toBe(200);
  });
});

const COMPLETION_CASES: [string, Record<string, unknown>, string][] = [
  ["prompt missing", { prompt: undefined }, "prompt"],
  ["prompt wrong type", { prompt: 5 }, "prompt"],
  ["prompt token ids negative", { prompt: [1, -2] }, "prompt[1]"],
  ["batched prompts", { prompt: ["a", "b"] }, "prompt"],
  ["logprobs > 5", { logprobs: 6 }, "logprobs"],
  ["echo with token ids", { prompt: [1, 2], echo: true }, "echo"],
  ["best_of other than n", { best_of: 3 }, "best_of"],
  ["suffix", { suffix: "tail" }, "suffix"],
  ["temperature > 2", { temperature: 3 }, "temperature"],
];

describe("completion parameter validation: 400 with param", () => {
  for (const [name, extra, param] of COMPLETION_CASES) {
    test(name, async () => {
      const { app } = testApp();
      const res = await post(app, "/v1/completions", { model: "test-model", prompt: "Once", ...extra });
      expect(res.status).toBe(400);
      expect((await res.json()).error.param).toBe(param);
    });
  }
});
