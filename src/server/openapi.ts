/**
 * `GET /openapi.json`: the OpenAPI 3.1 document of the HTTP API. Request bodies are generated from the same zod
 * schemas the routes validate with (`z.toJSONSchema`), so the document cannot drift from what the server
 * accepts; response bodies are described by the zod schemas below, open to fields added later.
 */
import type { Hono } from "hono";
import { z } from "zod";
import pkg from "../../package.json" with { type: "json" };
import type { AppEnv } from "./routes/context.ts";
import { ChatCompletionRequest } from "./schemas/chat.ts";
import { CompletionRequest } from "./schemas/completion.ts";

/** The path the document is served at. */
export const OPENAPI_PATH = "/openapi.json";

/** `{ error: { message, type, param, code } }`: every non-2xx answer of the server. */
export const ErrorResponse = z.looseObject({
  error: z.looseObject({
    message: z.string(),
    type: z.string(),
    param: z.string().nullable(),
    code: z.string().nullable(),
  }),
});

const ModelCard = z.looseObject({
  id: z.string(),
  object: z.literal("model"),
  created: z.number().int(),
  owned_by: z.string(),
  root: z.string(),
  max_model_len: z.number().int(),
  capabilities: z.looseObject({ vision: z.boolean(), video: z.boolean(), tools: z.boolean(), reasoning: z.boolean() }),
});

const ModelList = z.looseObject({ object: z.literal("list"), data: z.array(ModelCard) });

const Health = z.looseObject({
  status: z.string(),
  model: z.string(),
  load_state: z.string(),
  stats: z.looseObject({ running: z.number().int(), waiting: z.number().int(), capacity: z.number().int() }),
});

const Version = z.looseObject({ version: z.string() });

const Usage = z.looseObject({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
});

const FinishReason = z.string().nullable();

const ChatCompletion = z.looseObject({
  id: z.string(),
  object: z.literal("chat.completion"),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.looseObject({
      index: z.number().int(),
      message: z.looseObject({ role: z.literal("assistant"), content: z.string().nullable() }),
      finish_reason: FinishReason,
    }),
  ),
  usage: Usage,
});

const Completion = z.looseObject({
  id: z.string(),
  object: z.literal("text_completion"),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(z.looseObject({ index: z.number().int(), text: z.string(), finish_reason: FinishReason })),
  usage: Usage,
});

/** The documented response bodies, by component name (tests check real responses against them). */
export const RESPONSE_SCHEMAS = { ChatCompletion, Completion, Model: ModelCard, ModelList, Health, Version, Error: ErrorResponse };

type JsonSchema = Record<string, unknown>;

/** A zod schema as a JSON Schema 2020-12 object without `$schema` (OpenAPI 3.1's dialect is the default). */
export function jsonSchemaOf(schema: z.ZodType, io: "input" | "output" = "output"): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" });
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ "application/json": { schema: ref(name) } });
const errorResponse = (description: string) => ({ description, content: json("Error") });

/** Error statuses every API route may answer, plus 401 where a key is required. */
function errors(statuses: number[], auth: boolean): Record<string, unknown> {
  const text: Record<number, string> = {
    400: "Invalid request (OpenAI error shape; `param` names the field).",
    401: "Missing or wrong API key.",
    404: "Unknown model or route.",
    413: "Body too large, or prompt longer than the context.",
    415: "Content-Type is not application/json.",
    429: "Too many requests queued; retry after `Retry-After` seconds.",
    500: "Internal error.",
    503: "Model not ready or server shutting down.",
  };
  const all = auth ? [...statuses, 401] : statuses;
  return Object.fromEntries(all.sort().map((s) => [String(s), errorResponse(text[s] ?? "Error.")]));
}

function generationOperation(summary: string, body: string, result: string, auth: boolean) {
  return {
    summary,
    requestBody: { required: true, content: json(body) },
    responses: {
      "200": {
        description: "The result (`application/json`), or with `stream: true` server-sent events ending in `data: [DONE]`.",
        content: { ...json(result), "text/event-stream": { schema: { type: "string" } } },
      },
      ...errors([400, 404, 413, 415, 429, 500, 503], auth),
    },
  };
}

function getOperation(summary: string, result: JsonSchema, auth: boolean, statuses: number[] = [500]) {
  return {
    summary,
    responses: { "200": { description: summary, content: { "application/json": { schema: result } } }, ...errors(statuses, auth) },
  };
}

/**
 * Builds the OpenAPI 3.1 document. With `apiKey`, every route but `/health` (and `/metrics` when
 * `metricsPublic`) requires a bearer token.
 *
 * @example
 *   const doc = buildOpenApiDocument({ apiKey: false });
 *   doc.paths["/v1/chat/completions"].post.requestBody
 */
export function buildOpenApiDocument(options: { apiKey?: boolean; metricsPublic?: boolean } = {}) {
  const auth = options.apiKey === true;
  const secured = auth ? { security: [{ bearer: [] }] } : {};
  const open = auth ? { security: [] } : {};
  const modelId = { name: "id", in: "path", required: true, schema: { type: "string" }, description: "A served model name." };
  return {
    openapi: "3.1.0",
    info: { title: "vllm-mlx", version: pkg.version, description: "OpenAI-compatible LLM server over MLX." },
    ...secured,
    paths: {
      "/v1/chat/completions": { post: generationOperation("Chat completion", "ChatCompletionRequest", "ChatCompletion", auth) },
      "/v1/completions": { post: generationOperation("Text completion", "CompletionRequest", "Completion", auth) },
      "/v1/models": { get: getOperation("Served models", ref("ModelList"), auth) },
      "/v1/models/{id}": {
        get: { ...getOperation("One served model", ref("Model"), auth, [404, 500]), parameters: [modelId] },
      },
      "/health": {
        get: {
          ...getOperation("Health: 200 when the model is loaded and the server is not draining", ref("Health"), false, [500]),
          responses: {
            "200": { description: "Healthy.", content: json("Health") },
            "503": { description: "Loading or draining.", content: json("Health") },
          },
          ...open,
        },
      },
      "/version": { get: getOperation("Server version", ref("Version"), auth) },
      "/metrics": {
        get: {
          summary: "Prometheus metrics",
          responses: {
            "200": { description: "Prometheus text format 0.0.4.", content: { "text/plain": { schema: { type: "string" } } } },
            ...errors([], auth && !options.metricsPublic),
          },
          ...(options.metricsPublic ? open : {}),
        },
      },
      [OPENAPI_PATH]: { get: getOperation("This document", { type: "object" }, auth) },
    },
    components: {
      schemas: {
        ChatCompletionRequest: jsonSchemaOf(ChatCompletionRequest, "input"),
        CompletionRequest: jsonSchemaOf(CompletionRequest, "input"),
        ...Object.fromEntries(Object.entries(RESPONSE_SCHEMAS).map(([name, schema]) => [name, jsonSchemaOf(schema)])),
      } as Record<string, JsonSchema>,
      ...(auth ? { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } } : {}),
    },
  };
}

/**
 * Registers `GET /openapi.json` (the document is built once). The app's API-key middleware guards it.
 *
 * @example
 *   registerOpenApiRoute(app, { apiKey: "sk-local" });
 */
export function registerOpenApiRoute(app: Hono<AppEnv>, options: { apiKey?: string; metricsPublic?: boolean }): void {
  const document = buildOpenApiDocument({ apiKey: Boolean(options.apiKey), metricsPublic: options.metricsPublic === true });
  app.get(OPENAPI_PATH, (c) => c.json(document));
}
