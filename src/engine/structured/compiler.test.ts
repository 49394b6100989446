/**
 * The grammar compiler on the real Qwen3 vocabulary: what each spec accepts (driven token by token through a
 * matcher, the way the engine drives it), the unsupported features refused by name, Lark -> EBNF, the forced
 * tool call per format, and the compiled-grammar cache.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { InvalidRequestError, type GenerateRequest, type ToolDefinition } from "../protocol.ts";
import type { ModelTokenizer } from "../../tokenizer/index.ts";
import { specParam, StructuredCompiler, validateSpec } from "./compiler.ts";
import { larkToEbnf, regexToEbnf } from "./lark.ts";
import { RequestGrammars } from "./request-grammars.ts";
import { requestSpec } from "./request-spec.ts";
import { checkSchema, StructuredOutputError, type StructuredOutputSpec } from "./spec.ts";
import { toolCallStructuralTag } from "./tool-grammar.ts";
import { xgr, xgrammarCall } from "./xgrammar.ts";
import { QWEN3_VOCAB, qwen3Compiler } from "./testing.ts";

let tok: ModelTokenizer;
let compiler: StructuredCompiler;

beforeAll(async () => {
  ({ tok, compiler } = await qwen3Compiler());
}, 60_000);

/** Feeds `text`'s tokens and then EOS to a fresh matcher: true when every token is accepted and it terminates. */
async function accepts(spec: StructuredOutputSpec, text: string): Promise<boolean> {
  const matcher = compiler.matcher(await compiler.compile(spec));
  try {
    for (const id of tok.encode(text, { addSpecialTokens: false })) if (!matcher.acceptToken(id)) return false;
    return matcher.acceptToken([...tok.eosTokenIds][0]!) && matcher.isTerminated();
  } finally {
    matcher.dispose();
  }
}

test("special tokens are never text: inside a JSON string the mask allows none of them, and EOS only where the grammar ends", async () => {
  // Qwen3's <|endoftext|>, <|im_start|> and <|im_end|> (EOS) are special added tokens, whose text would fit a JSON
  // string; a sampled one is not that text in the output (it skips special tokens), so the mask must refuse them.
  // <think> is an added token that is not special: it reads back as its text, so the grammar may take it as text.
  const specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>"].map((t) => tok.encode(t, { addSpecialTokens: false }));
  for (const ids of specials) expect(ids.length).toBe(1);
  const matcher = compiler.matcher(await compiler.compile({ type: "json_schema", schema: { type: "object", properties: { t: { type: "string" } }, required: ["t"], additionalProperties: false } } as StructuredOutputSpec));
  try {
    for (const id of tok.encode('{"t": "ab', { addSpecialTokens: false })) expect(matcher.acceptToken(id)).toBe(true);
    const allowed = (mask: Int32Array | Uint32Array, id: number) => ((mask[id >> 5]! >>> (id & 31)) & 1) === 1;
    const mask = matcher.getNextTokenBitmaskSync();
    expect(specials.map(([id]) => allowed(mask, id!))).toEqual([false, false, false, true]);
    expect(allowed(mask, tok.encode("c", { addSpecialTokens: false })[0]!)).toBe(true); // text still is
    for (const id of tok.encode('"}', { addSpecialTokens: false })) expect(matcher.acceptToken(id)).toBe(true);
    expect(allowed(matcher.getNextTokenBitmaskSync(), specials[2]![0]!)).toBe(true); // EOS, now the grammar may end
  } finally {
    matcher.dispose();
  }
});

/** The StructuredOutputError a call throws (fails the test when it throws nothing or something else). */
async function refusal(fn: () => unknown): Promise<StructuredOutputError> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(StructuredOutputError);
    return e as StructuredOutputError;
  }
  throw new Error("expected a StructuredOutputError, nothing was thrown");
}

describe("specs compile over the real vocabulary", () => {
  test("json_object: any object, nothing else, no free whitespace", async () => {
    expect(await accepts({ type: "json_object" }, '{"a": [1, {"b": null}], "c": "x"}')).toBe(true);
    expect(await accepts({ type: "json_object" }, "[1, 2]")).toBe(false);
    expect(await accepts({ type: "json_object" }, '{"a": 1')).toBe(false);
    expect(await accepts({ type: "json_object" }, '{ "a": 1 }')).toBe(false);
  });

  test("json_schema: types, bounds, enums, required; strict refuses extra properties, strict:false allows them", async () => {
    const schema = {
      type: "object",
      properties: { n: { type: "integer", minimum: 1, maximum: 9 }, c: { enum: ["red", "blue"] } },
      required: ["n"],
    };
    const strict: StructuredOutputSpec = { type: "json_schema", schema, strict: true };
    expect(await accepts(strict, '{"n": 3, "c": "red"}')).toBe(true);
    expect(await accepts(strict, '{"n": 3}')).toBe(true);
    expect(await accepts(strict, '{"c": "red"}')).toBe(false);
    expect(await accepts(strict, '{"n": 12}')).toBe(false);
    expect(await accepts(strict, '{"n": 3, "c": "green"}')).toBe(false);
    expect(await accepts(strict, '{"n": 3, "z": 1}')).toBe(false);
    expect(await accepts({ type: "json_schema", schema, strict: false }, '{"n": 3, "z": 1}')).toBe(true);
  });

  test("regex, choice, EBNF and Lark grammars", async () => {
    expect(await accepts({ type: "regex", pattern: "[a-c]{2}-\\d+" }, "ab-42")).toBe(true);
    expect(await accepts({ type: "regex", pattern: "[a-c]{2}-\\d+" }, "ad-42")).toBe(false);
    expect(await accepts({ type: "choice", choices: ["yes", "no way"] }, "no way")).toBe(true);
    expect(await accepts({ type: "choice", choices: ["yes", "no way"] }, "no")).toBe(false);
    const ebnf = 'root ::= "(" num ("+" num)* ")"\nnum ::= [0-9]+';
    expect(await accepts({ type: "grammar", grammar: ebnf }, "(1+22+3)")).toBe(true);
    expect(await accepts({ type: "grammar", grammar: ebnf }, "(1+)")).toBe(false);
    const lark = 'start: "(" num ("+" num)* ")"\nnum: /[0-9]+/';
    expect(await accepts({ type: "grammar", grammar: lark }, "(1+22+3)")).toBe(true);
    expect(await accepts({ type: "grammar", grammar: lark }, "(1+)")).toBe(false);
  });

  test("specParam names the request field a spec came from", () => {
    expect(specParam({ type: "json_object" })).toBe("response_format");
    expect(specParam({ type: "json_schema", schema: {} })).toBe("response_format");
    expect(specParam({ type: "tool_call", format: "hermes", tools: [] })).toBe("tool_choice");
    expect(specParam({ type: "regex", pattern: "a" })).toBe("structured_outputs.regex");
    expect(specParam({ type: "grammar", grammar: "root ::= \"a\"" })).toBe("structured_outputs.grammar");
  });
});

describe("unsupported features are refused by name", () => {
  const P = "response_format";
  for (const keyword of ["not", "if", "multipleOf", "uniqueItems", "contains", "dependentRequired", "unevaluatedProperties", "$dynamicRef"]) {
    test(`'${keyword}' anywhere in a schema`, async () => {
      const schema = { type: "object", properties: { a: { type: "array", items: { type: "integer", [keyword]: keyword === "not" ? {} : 2 } } } };
      const e = await refusal(() => checkSchema(schema, P));
      expect(e.message).toBe(`${P}: JSON schema keyword '${keyword}' is not supported (at #/properties/a/items)`);
      expect(e.param).toBe(P);
    });
  }

  test("allOf with two schemas, a remote $ref, an unknown string format, a non-object schema", async () => {
    expect((await refusal(() => checkSchema({ allOf: [{}, {}] }, P))).message).toContain("'allOf' with more than one schema");
    expect((await refusal(() => checkSchema({ $defs: { a: { $ref: "https://x.org/s.json" } } }, P))).message)
      .toBe(`${P}: JSON schema '$ref' to another document ('https://x.org/s.json') is not supported (at #/$defs/a)`);
    expect((await refusal(() => checkSchema({ anyOf: [{ type: "string", format: "color" }] }, P))).message)
      .toBe(`${P}: JSON schema string format 'color' is not supported (at #/anyOf/0)`);
    expect((await refusal(() => checkSchema([], P))).message).toBe(`${P}: a JSON schema must be an object or a boolean (at #)`);
    expect(() => checkSchema(true, P)).not.toThrow();
    expect(() => checkSchema({ allOf: [{ type: "object" }], $ref: "#/$defs/x", $defs: { x: {} }, format: "date-time" }, P)).not.toThrow();
  });

  test("a local $ref must point at something in the schema (the grammar engine's own failure is not the user's message)", async () => {
    const tree = { type: "object", properties: { next: { $ref: "#" }, item: { $ref: "#/$defs/It%25em" }, a: { $ref: "#/definitions/a~1b" } },
      $defs: { "It%em": { type: "string" } }, definitions: { "a/b": { type: "integer" } } };
    expect(() => checkSchema(tree, P)).not.toThrow();
    expect((await refusal(() => checkSchema({ properties: { x: { $ref: "#/$defs/Missing" } } }, P))).message)
      .toBe(`${P}: JSON schema '$ref' '#/$defs/Missing' points at nothing in the schema (at #/properties/x)`);
    expect((await refusal(() => checkSchema({ items: { $ref: "#/%E0%A4%A" } }, P))).message).toContain("points at nothing");
    // References that only lead back to themselves match nothing (the grammar would allow no token: a 500 before).
    expect((await refusal(() => checkSchema({ $ref: "#" }, P))).message).toBe(`${P}: JSON schema '$ref' '#' only leads back to itself (at #)`);
    const cycle = { $ref: "#/$defs/a", $defs: { a: { $ref: "#/$defs/b" }, b: { $ref: "#/$defs/a" } } };
    expect((await refusal(() => checkSchema(cycle, P))).message).toContain("only leads back to itself");
    expect((await refusal(() => checkSchema({ type: "object", properties: { x: { $ref: "#/$defs/a" } }, $defs: cycle.$defs }, P))).message)
      .toContain("only leads back to itself (at #/properties/x)");
  });

  test("validateSpec: spec checks, and xgrammar's own refusals carry its message", async () => {
    expect((await refusal(() => validateSpec({ type: "choice", choices: [] }))).message).toBe("structured_outputs.choice: choice needs at least one string");
    const lookbehind = await refusal(() => validateSpec({ type: "regex", pattern: "(?<=a)b" }));
    expect(lookbehind.param).toBe("structured_outputs.regex");
    expect(lookbehind.message).toMatch(/^structured_outputs\.regex: .*[Ll]ookbehind/);
    const badEbnf = await refusal(() => validateSpec({ type: "grammar", grammar: "root ::= undefined_rule" }));
    expect(badEbnf.message).toMatch(/^structured_outputs\.grammar: .*undefined_rule/);
    const toolSchema = await refusal(() => validateSpec({ type: "tool_call", format: "hermes", tools: [{ name: "f", parameters: { type: "object", not: {} } }] }));
    expect(toolSchema.message).toBe("tools: JSON schema keyword 'not' is not supported (at #(f))");
    expect(toolSchema.param).toBe("tools");
    await validateSpec({ type: "json_schema", schema: { type: "object", properties: { a: { type: "string" } } } });
  });

  test("requestSpec turns a refusal into InvalidRequestError (the 400) with its param", async () => {
    const chat = {
      kind: "chat", requestId: "r", messages: [{ role: "user", content: "hi" }],
      sampling: { presencePenalty: 0, frequencyPenalty: 0, logitBias: {}, stop: [], n: 1, logprobs: false, topLogprobs: 0, maxTokens: 8, temperature: 0 },
    } as GenerateRequest;
    const error = await requestSpec({ ...chat, structured: { type: "json_schema", schema: { type: "array", uniqueItems: true } } }, "hermes")
      .then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).message).toBe("response_format: JSON schema keyword 'uniqueItems' is not supported (at #)");
    expect((error as InvalidRequestError).param).toBe("response_format");
    const tools: ToolDefinition[] = [
      { type: "function", function: { name: "a", parameters: { type: "object", properties: { x: { type: "integer" } } } } },
      { type: "function", function: { name: "b" } },
    ];
    expect(await requestSpec({ ...chat, tools, toolChoice: "required" } as GenerateRequest, "hermes")).toEqual({
      type: "tool_call", format: "hermes",
      tools: [{ name: "a", parameters: tools[0]!.function.parameters! }, { name: "b", parameters: { type: "object", properties: {} } }],
    });
    expect(await requestSpec({ ...chat, tools, toolChoice: { type: "function", function: { name: "b" } } } as GenerateRequest, "llama3_json"))
      .toEqual({ type: "tool_call", format: "llama3_json", tools: [{ name: "b", parameters: { type: "object", properties: {} } }] });
    expect(await requestSpec({ ...chat, tools, toolChoice: "auto" } as GenerateRequest, "hermes")).toBeUndefined();
    const pythonic = await requestSpec({ ...chat, tools, toolChoice: "required" } as GenerateRequest, "pythonic").then(() => null, (e: unknown) => e);
    expect((pythonic as InvalidRequestError).message).toBe("tool_choice: forcing a call is not supported for the 'pythonic' tool-call format");
  });
});

describe("Lark -> EBNF", () => {
  test("rules, start -> root, terminals, optional brackets, ranges, repeats, imports, comments", () => {
    expect(larkToEbnf('start: "yes" | "no"')).toBe('root ::= "yes" | "no"');
    expect(larkToEbnf('start: pair ("," pair)*  // pairs\npair: KEY "=" INT\nKEY: "a".."z"\n%import common.INT'))
      .toBe('root ::= pair ("," pair)*\npair ::= KEY "=" INT\nKEY ::= [a-z]\nINT ::= [0-9]+');
    expect(larkToEbnf('start: [sign] DIGIT~2..3\n    | "x" -> ex\nsign: "-"\n%import common.DIGIT'))
      .toBe('root ::= (sign)? DIGIT{2,3} | "x"\nsign ::= "-"\nDIGIT ::= [0-9]');
    const re = regexToEbnf("^a(?:b|c)+\\d{2}.$");
    expect(re).toBe('("a" ( "b"  |  "c" )+ [0-9]{2} [^\\n])');
  });

  test("a translated regex accepts the regex's language", async () => {
    const grammar = await xgrammarCall(() => xgr.Grammar.fromEBNF(`root ::= ${regexToEbnf("a(?:b|c)+\\d{2}.")}`));
    try {
      for (const [text, ok] of [["abc12x", true], ["ab12 ", true], ["a12x", false], ["abd12x", false], ["abc1x", false], ["abc12\n", false]] as const) {
        expect([text, await xgr.Testings.isGrammarAcceptString(grammar, text)]).toEqual([text, ok]);
      }
    } finally {
      grammar.dispose();
    }
  });

  test("what has no EBNF form is refused by name", async () => {
    const cases: [string, string][] = [
      ['start: WORD\n%ignore " "', "the Lark directive '%ignore'"],
      ['start: "abc"i', 'the case-insensitive literal "abc"i'],
      ["start: /(?=a)a/", "a regex lookaround or group flag"],
      ["start: /(a)\\1/", "a regex back-reference"],
      ["start: /a/i", "the regex flag 'i'"],
      ['rule: "a"', "a grammar without a 'start' rule"],
      ["start: X\n%import common.FOO", "the import '%import common.FOO'"],
    ];
    for (const [lark, what] of cases) {
      const e = await refusal(() => larkToEbnf(lark));
      expect(e.message).toBe(`structured_outputs.grammar: ${what} is not supported`);
    }
  });
});

describe("forced tool calls per format", () => {
  const weather = { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" }, days: { type: "integer" } }, required: ["city"] } };
  const time = { name: "get_time", parameters: { type: "object", properties: { tz: { enum: ["UTC", "CET"] } }, required: ["tz"] } };
  async function grammarAccepts(format: Parameters<typeof toolCallStructuralTag>[0], text: string, tools = [weather, time]): Promise<boolean> {
    const grammar = await xgrammarCall(() => xgr.Grammar.fromStructuralTag(toolCallStructuralTag(format, tools)));
    try {
      return await xgr.Testings.isGrammarAcceptString(grammar, text);
    } finally {
      grammar.dispose();
    }
  }

  const cases: [Parameters<typeof toolCallStructuralTag>[0], string, string][] = [
    ["hermes", '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "days": 3}}\n</tool_call>',
      '<tool_call>\n{"name": "get_weather", "arguments": {"days": 3}}\n</tool_call>'],
    ["llama3_json", '{"name": "get_time", "parameters": {"tz": "CET"}}', '{"name": "get_time", "parameters": {"tz": "PST"}}'],
    ["mistral", '[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Oslo"}}]', '[TOOL_CALLS][{"name": "get_date", "arguments": {}}]'],
    ["qwen3_coder", "<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n<parameter=days>\n3\n</parameter>\n</function>\n</tool_call>",
      "<tool_call>\n<function=get_weather>\n<parameter=days>\n3\n</parameter>\n</function>\n</tool_call>"],
    ["openai", '<|channel|>commentary to=functions.get_time <|constrain|>json<|message|>{"tz": "UTC"}<|call|>',
      '<|channel|>commentary to=functions.get_time <|constrain|>json<|message|>{"tz": 1}<|call|>'],
  ];
  for (const [format, good, bad] of cases) {
    test(`${format}: the family's call syntax with valid arguments, and nothing else`, async () => {
      expect(await grammarAccepts(format, good)).toBe(true);
      expect(await grammarAccepts(format, bad)).toBe(false);
      expect(await grammarAccepts(format, "Sure, let me check.")).toBe(false);
    });
  }

  test("one tool is a single tag, several an 'or'; a named choice allows that tool only", async () => {
    expect(toolCallStructuralTag("hermes", [weather])).toEqual({
      type: "structural_tag",
      format: { type: "tag", begin: '<tool_call>\n{"name": "get_weather", "arguments": ', content: { type: "json_schema", json_schema: weather.parameters }, end: "}\n</tool_call>" },
    });
    expect((toolCallStructuralTag("hermes", [weather, time]).format as { type: string; elements: unknown[] }).elements.length).toBe(2);
    expect(await grammarAccepts("hermes", '<tool_call>\n{"name": "get_time", "arguments": {"tz": "UTC"}}\n</tool_call>', [weather])).toBe(false);
  });

  test("formats without a forced-call syntax are refused", async () => {
    for (const format of ["pythonic", "none"] as const) {
      const e = await refusal(() => toolCallStructuralTag(format, [weather]));
      expect(e.message).toBe(`tool_choice: forcing a call is not supported for the '${format}' tool-call format`);
    }
  });
});

describe("the compiled-grammar cache", () => {
  test("the same spec compiles once; least recently used grammars go first after 64", async () => {
    const spec = (i: number): StructuredOutputSpec => ({ type: "choice", choices: [`c${i}`] });
    const first = await compiler.compile(spec(0));
    expect(await compiler.compile({ type: "choice", choices: ["c0"] })).toBe(first);
    const second = await compiler.compile(spec(1));
    for (let i = 2; i < 64; i++) await compiler.compile(spec(i));
    expect(await compiler.compile(spec(0))).toBe(first); // a hit also makes it the most recent
    await compiler.compile(spec(64)); // the 65th: evicts the least recent, spec 1
    expect(await compiler.compile(spec(0))).toBe(first);
    const again = await compiler.compile(spec(1));
    expect(again).not.toBe(second);
    // The recompiled grammar works.
    expect(await accepts(spec(1), "c1")).toBe(true);
  }, 60_000);

  test("a spec that fails to compile is not cached and fails again", async () => {
    const bad: StructuredOutputSpec = { type: "grammar", grammar: "root ::= missing" };
    for (let i = 0; i < 2; i++) expect((await refusal(() => compiler.compile(bad))).param).toBe("structured_outputs.grammar");
  });
});

describe("request grammars on the model thread", () => {
  test("warm() builds the token table once; create() reuses it and ends on the request's own stop tokens", async () => {
    let loads = 0;
    const grammars = new RequestGrammars(async () => {
      loads++;
      return tok.files;
    }, QWEN3_VOCAB);
    await grammars.warm();
    expect(loads).toBe(1);
    const stop = 30; // "?" as a stop token: the request's, not the model's EOS
    const g = await grammars.create({ type: "choice", choices: ["ok"] }, [stop]);
    for (const id of tok.encode("ok", { addSpecialTokens: false })) expect(g.acceptToken(id)).toBe(true);
    expect(g.acceptToken([...tok.eosTokenIds][0]!)).toBe(false);
    expect(g.acceptToken(stop)).toBe(true);
    expect(g.isTerminated()).toBe(true);
    g.dispose();
    expect(loads).toBe(1);
  }, 60_000);

  test("a failed warm() is not fatal: the next create() tries again", async () => {
    let loads = 0;
    const grammars = new RequestGrammars(async () => {
      if (loads++ === 0) throw new Error("tokenizer.json missing");
      return tok.files;
    }, QWEN3_VOCAB);
    await grammars.warm();
    const g = await grammars.create({ type: "json_object" }, [...tok.eosTokenIds]);
    expect(loads).toBe(2);
    g.dispose();
  }, 60_000);
});
