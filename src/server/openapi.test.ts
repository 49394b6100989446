import { describe, expect, test } from "bun:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import type { z } from "zod";
import { buildOpenApiDocument, ErrorResponse, RESPONSE_SCHEMAS } from "./openapi.ts";
import { ChatCompletionRequest } from "./schemas/chat.ts";
import { CompletionRequest } from "./schemas/completion.ts";
import { post, request, testApp } from "./testing/helpers.ts";

/** Keys of a zod object that must be present (absent fails validation), sorted. */
function requiredKeys(schema: z.ZodObject): string[] {
  return Object.entries(schema.shape)
    .filter(([, field]) => !(field as z.ZodType).safeParse(undefined).success)
    .map(([key]) => key)
    .sort();
}

type Json = Record<string, any>;

async function validate(document: Json): Promise<{ valid: boolean; errors?: unknown }> {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(document));
  expect(validator.version).toBe("3.1");
  return result;
}

describe("OpenAPI document", () => {
  test("is a valid OpenAPI 3.1 document, with and without an API key", async () => {
    for (const apiKey of [false, true]) {
      const result = await validate(buildOpenApiDocument({ apiKey }));
      expect(result.errors).toBeUndefined();
      expect(result.valid).toBe(true);
    }
  });

  test("the validator rejects a broken document (the check is not vacuous)", async () => {
    const broken: Json = buildOpenApiDocument();
    broken.paths["/v1/models"].get.responses = "none";
    expect((await validate(broken)).valid).toBe(false);
  });

  test("every $ref resolves", () => {
    const document: Json = buildOpenApiDocument({ apiKey: true });
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(10);
    for (const raw of refs) {
      const name = raw.slice('"$ref":"#/components/schemas/'.length, -1);
      expect(raw.startsWith('"$ref":"#/components/schemas/')).toBe(true);
      expect(document.components.schemas[name]).toBeDefined();
    }
  });

  test("the chat request's required fields are the zod schema's", () => {
    const chat = buildOpenApiDocument().components.schemas.ChatCompletionRequest as Json;
    expect(chat.required).toEqual(requiredKeys(ChatCompletionRequest));
    expect(chat.required).toEqual(["messages"]);
    expect(Object.keys(chat.properties).sort()).toEqual(Object.keys(ChatCompletionRequest.shape).sort());
    const variants = ChatCompletionRequest.shape.messages.element.options;
    const documented = chat.properties.messages.items.oneOf as Json[];
    expect(documented.length).toBe(variants.length);
    variants.forEach((variant, i) => {
      expect((documented[i]!.required as string[]).sort()).toEqual(requiredKeys(variant as z.ZodObject));
      expect(documented[i]!.properties.role.const).toBe(variant.shape.role.value);
    });
    expect(chat.properties.messages.minItems).toBe(1);
  });

  test("the completion request's required fields are the zod schema's", () => {
    const completion = buildOpenApiDocument().components.schemas.CompletionRequest as Json;
    expect(completion.required).toEqual(requiredKeys(CompletionRequest));
    expect(completion.required).toEqual(["prompt"]);
  });

  test("the error schema is OpenAI's shape", () => {
    const error = buildOpenApiDocument().components.schemas.Error as Json;
    expect(error.required).toEqual(["error"]);
    expect((error.properties.error.required as string[]).sort()).toEqual(["code", "message", "param", "type"]);
  });

  test("security: with a key every route but /health needs it", () => {
    const secured: Json = buildOpenApiDocument({ apiKey: true });
    expect(secured.security).toEqual([{ bearer: [] }]);
    expect(secured.paths["/health"].get.security).toEqual([]);
    expect(secured.paths["/v1/chat/completions"].post.responses["401"]).toBeDefined();
    expect(secured.paths["/metrics"].get.security).toBeUndefined();
    const metricsPublic: Json = buildOpenApiDocument({ apiKey: true, metricsPublic: true });
    expect(metricsPublic.paths["/metrics"].get.security).toEqual([]);
    const open: Json = buildOpenApiDocument();
    expect(open.security).toBeUndefined();
    expect(open.paths["/v1/chat/completions"].post.responses["401"]).toBeUndefined();
  });
});

describe("GET /openapi.json", () => {
  test("serves the document", async () => {
    const { app } = testApp();
    const res = await request(app, "/openapi.json");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
  });

  test("needs the API key when one is set", async () => {
    const { app } = testApp(undefined, { apiKey: "sk-test" });
    const denied = await request(app, "/openapi.json");
    expect(denied.status).toBe(401);
    expect(ErrorResponse.safeParse(await denied.json()).success).toBe(true);
    const allowed = await request(app, "/openapi.json", { headers: { authorization: "Bearer sk-test" } });
    expect(allowed.status).toBe(200);
    expect((await allowed.json()).security).toEqual([{ bearer: [] }]);
  });
});

describe("documented responses match the server's", () => {
  const cases: [keyof typeof RESPONSE_SCHEMAS, string, unknown][] = [
    ["ChatCompletion", "/v1/chat/completions", { messages: [{ role: "user", content: "hi" }], max_tokens: 2 }],
    ["Completion", "/v1/completions", { prompt: "hi", max_tokens: 2 }],
    ["ModelList", "/v1/models", null],
    ["Model", "/v1/models/test-model", null],
    ["Health", "/health", null],
    ["Version", "/version", null],
    ["Error", "/v1/models/nope", null],
    ["AnthropicMessage", "/v1/messages", { model: "test-model", max_tokens: 2, messages: [{ role: "user", content: "hi" }] }],
    ["AnthropicError", "/v1/messages", { model: "test-model", messages: [{ role: "user", content: "hi" }] }],
    ["MessageTokensCount", "/v1/messages/count_tokens", { model: "test-model", messages: [{ role: "user", content: "hi" }] }],
    ["Response", "/v1/responses", { input: "hi", max_output_tokens: 2 }],
    ["Tokenized", "/tokenize", { prompt: "hi" }],
    ["Detokenized", "/detokenize", { tokens: [104, 105] }],
  ];
  for (const [schema, path, body] of cases) {
    test(`${schema}: ${path}`, async () => {
      const { app } = testApp();
      const res = body === null ? await request(app, path) : await post(app, path, body);
      const parsed = RESPONSE_SCHEMAS[schema].safeParse(await res.json());
      expect(parsed.error).toBeUndefined();
    });
  }
});
