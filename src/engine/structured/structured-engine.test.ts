/**
 * Structured output on the real default model (SmolLM2-135M, too small to follow instructions): every answer
 * holds by construction. 50 nested schemas validate with ajv; tool_choice "required" always calls a tool and a
 * named choice always calls that tool (arguments valid against its schema); the same holds for 8 concurrent
 * requests of which half are constrained.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Ajv from "ajv";
import type { AsyncEngine } from "../frontend/async-engine.ts";
import { createEngine } from "../create.ts";
import { defaultModelPath } from "../../models/default-model.ts";
import type { GenerateRequest, SamplingParams, ToolDefinition } from "../protocol.ts";

const ajv = new Ajv({ strict: false });
let engine: AsyncEngine;

beforeAll(async () => {
  engine = await createEngine({ model: await defaultModelPath(), core: { maxNumSeqs: 8 } });
}, 120_000);
afterAll(async () => {
  await engine.close();
});

const sampling = (seed: number, temperature: number): SamplingParams => ({ presencePenalty: 0, frequencyPenalty: 0,
  logitBias: {}, stop: [], n: 1, logprobs: false, topLogprobs: 0, maxTokens: 160, temperature, seed });

async function run(request: GenerateRequest): Promise<{ text: string; finish: string }> {
  let text = "";
  let finish = "";
  for await (const e of engine.submit(request, new AbortController().signal)) {
    if (e.type === "delta") text += e.text;
    if (e.type === "finish") finish = e.finishReason;
  }
  return { text, finish };
}

/** Nested schemas built from parts: objects, arrays, enums, bounded numbers, required and optional fields. */
function schema(i: number): Record<string, unknown> {
  const leaf = [
    { type: "integer", minimum: -5, maximum: 40 + i },
    { enum: ["red", "green", "blue", `c${i}`] },
    { type: "string", maxLength: 8 },
    { type: "boolean" },
    { type: "number", minimum: 0, maximum: 1 },
  ];
  const pick = (k: number) => leaf[(i + k) % leaf.length]!;
  return {
    type: "object",
    properties: {
      id: { type: "integer", minimum: 1, maximum: 999 },
      kind: pick(1),
      tags: { type: "array", items: pick(2), minItems: i % 3, maxItems: 3 },
      inner: {
        type: "object",
        properties: { a: pick(3), b: { type: "array", items: { type: "object", properties: { x: pick(4) }, required: ["x"], additionalProperties: false }, maxItems: 2 } },
        required: i % 2 === 0 ? ["a", "b"] : ["a"],
        additionalProperties: false,
      },
      note: { type: "string", maxLength: 12 },
    },
    required: i % 4 === 0 ? ["id", "kind", "tags", "inner"] : ["id", "inner"],
    additionalProperties: false,
  };
}

const chat = (id: string, content: string, s: SamplingParams, extra: Partial<GenerateRequest> = {}): GenerateRequest =>
  ({ kind: "chat", requestId: id, messages: [{ role: "user", content }], sampling: s, ...extra }) as GenerateRequest;

const TOOLS: ToolDefinition[] = [
  { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string", maxLength: 16 }, unit: { enum: ["c", "f"] } }, required: ["city", "unit"], additionalProperties: false } } },
  { type: "function", function: { name: "add", parameters: { type: "object", properties: { a: { type: "integer", minimum: 0, maximum: 99 }, b: { type: "integer", minimum: 0, maximum: 99 } }, required: ["a", "b"], additionalProperties: false } } },
];

/** A Llama 3 JSON call (the default model's format): `{"name": ..., "parameters": {...}}`. */
function parseCall(text: string): { name: string; args: unknown } {
  const call = JSON.parse(text) as { name: string; parameters: unknown };
  return { name: call.name, args: call.parameters };
}

function checkCall(text: string, allowed: string[]): string {
  const { name, args } = parseCall(text);
  expect(allowed).toContain(name);
  const tool = TOOLS.find((t) => t.function.name === name)!;
  expect(ajv.validate(tool.function.parameters!, args)).toBe(true);
  return name;
}

describe("structured output on the default model", () => {
  test("the model writes Llama 3 JSON tool calls", () => {
    expect(engine.modelInfo().toolCallFormat).toBe("llama3_json");
  });

  test("50 requests with nested schemas all return JSON that validates", async () => {
    const results: boolean[] = [];
    for (let start = 0; start < 50; start += 8) {
      const batch = Array.from({ length: Math.min(8, 50 - start) }, (_, k) => start + k).map(async (i) => {
        const s = schema(i);
        const { text, finish } = await run(chat(`s${i}`, `Describe item ${i}.`, sampling(i, i % 2 === 0 ? 0 : 1), { structured: { type: "json_schema", schema: s } }));
        expect(finish).toBe("stop");
        const ok = ajv.validate(s, JSON.parse(text));
        if (!ok) console.error(i, text, ajv.errorsText());
        return ok;
      });
      results.push(...(await Promise.all(batch)));
    }
    expect(results.filter(Boolean).length).toBe(50);
  }, 600_000);

  test("json_object, regex and choice hold", async () => {
    const obj = await run(chat("o", "Anything.", sampling(1, 1), { structured: { type: "json_object" } }));
    expect(typeof JSON.parse(obj.text)).toBe("object");
    const re = await run(chat("r", "A phone number.", sampling(2, 1), { structured: { type: "regex", pattern: "[0-9]{3}-[0-9]{4}" } }));
    expect(re.text).toMatch(/^[0-9]{3}-[0-9]{4}$/);
    const ch = await run(chat("c", "Pick.", sampling(3, 1), { structured: { type: "choice", choices: ["alpha", "beta", "gamma"] } }));
    expect(["alpha", "beta", "gamma"]).toContain(ch.text);
    const g = await run(chat("g", "Say it.", sampling(4, 1), { structured: { type: "grammar", grammar: 'start: "x" NUM\n%import common.INT -> NUM' } }));
    expect(g.text).toMatch(/^x[0-9]+$/);
  }, 120_000);

  test("tool_choice required always returns a call; a named tool always calls that tool", async () => {
    for (let i = 0; i < 6; i++) {
      const req = await run(chat(`t${i}`, "Hello there.", sampling(i, 1), { tools: TOOLS, toolChoice: "required" }));
      checkCall(req.text, ["get_weather", "add"]);
      const named = await run(chat(`n${i}`, "What is the weather?", sampling(i, 1), { tools: TOOLS, toolChoice: { type: "function", function: { name: "add" } } }));
      expect(checkCall(named.text, ["add"])).toBe("add");
    }
  }, 300_000);

  test("8 concurrent mixed requests, half constrained", async () => {
    const jobs = Array.from({ length: 8 }, async (_, i) => {
      const s = sampling(100 + i, 1);
      if (i % 4 === 0) return { i, out: await run(chat(`m${i}`, "Free text.", s)) };
      if (i % 4 === 1) return { i, out: await run(chat(`m${i}`, "JSON.", s, { structured: { type: "json_schema", schema: schema(i) } })) };
      if (i % 4 === 2) return { i, out: await run(chat(`m${i}`, "More free text.", s)) };
      return { i, out: await run(chat(`m${i}`, "Call.", s, { tools: TOOLS, toolChoice: i % 8 === 3 ? "required" : { type: "function", function: { name: "get_weather" } } })) };
    });
    for (const { i, out } of await Promise.all(jobs)) {
      if (i % 4 === 1) expect(ajv.validate(schema(i), JSON.parse(out.text))).toBe(true);
      if (i % 4 === 3) checkCall(out.text, i % 8 === 3 ? ["get_weather", "add"] : ["get_weather"]);
      if (i % 2 === 0) expect(out.text.length).toBeGreaterThan(0);
    }
  }, 300_000);

  test("an unsupported schema feature is refused by name before the response starts", async () => {
    await expect(run(chat("u", "x", sampling(0, 0), { structured: { type: "json_schema", schema: { type: "object", properties: { a: { not: { type: "string" } } } } } })))
      .rejects.toThrow("JSON schema keyword 'not' is not supported (at #/properties/a)");
    await expect(run(chat("v", "x", sampling(0, 0), { structured: { type: "regex", pattern: "(?<=a)b" } })))
      .rejects.toThrow("Lookbehind is not supported");
  });
});
