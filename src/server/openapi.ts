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
import { CountTokensRequest, MessagesRequest } from "./schemas/messages.ts";
import { ResponsesRequest } from "./schemas/responses.ts";
import { DetokenizeRequest, TokenizeRequest } from "./schemas/tokenize.ts";
import { EmbeddingRequest, RerankRequest, ScoreRequest } from "./schemas/embeddings.ts";

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
  capabilities: z.looseObject({
    chat: z.boolean(),
    vision: z.boolean(),
    video: z.boolean(),
    embeddings: z.boolean(),
    rerank: z.boolean(),
    tools: z.boolean(),
    reasoning: z.boolean(),
  }),
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

/** `{ type: "error", error: { type, message } }`: every non-2xx answer of `/v1/messages`. */
const AnthropicError = z.looseObject({
  type: z.literal("error"),
  error: z.looseObject({ type: z.string(), message: z.string() }),
});

const AnthropicMessage = z.looseObject({
  id: z.string(),
  type: z.literal("message"),
  role: z.literal("assistant"),
  model: z.string(),
  content: z.array(z.looseObject({ type: z.enum(["text", "thinking", "tool_use"]) })),
  stop_reason: z.enum(["end_turn", "max_tokens", "stop_sequence", "tool_use"]),
  stop_sequence: z.string().nullable(),
  usage: z.looseObject({ input_tokens: z.number().int(), output_tokens: z.number().int() }),
});

const MessageTokensCount = z.looseObject({ input_tokens: z.number().int() });

const ResponseObject = z.looseObject({
  id: z.string(),
  object: z.literal("response"),
  created_at: z.number().int(),
  status: z.enum(["completed", "incomplete", "in_progress"]),
  model: z.string(),
  output: z.array(z.looseObject({ type: z.enum(["message", "function_call", "reasoning"]), id: z.string() })),
  usage: z.looseObject({ input_tokens: z.number().int(), output_tokens: z.number().int(), total_tokens: z.number().int() }),
});

const ResponseDeleted = z.looseObject({ id: z.string(), object: z.literal("response.deleted"), deleted: z.literal(true) });

const Tokenized = z.looseObject({ count: z.number().int(), max_model_len: z.number().int(), tokens: z.array(z.number().int()) });

const Detokenized = z.looseObject({ prompt: z.string() });

const PoolingUsage = z.looseObject({ prompt_tokens: z.number().int(), total_tokens: z.number().int() });

const EmbeddingList = z.looseObject({
  object: z.literal("list"),
  data: z.array(z.looseObject({ object: z.literal("embedding"), index: z.number().int(), embedding: z.union([z.array(z.number()), z.string()]) })),
  model: z.string(),
  usage: PoolingUsage,
});

const RerankResult = z.looseObject({
  id: z.string(),
  model: z.string(),
  usage: PoolingUsage,
  results: z.array(z.looseObject({ index: z.number().int(), relevance_score: z.number(), document: z.looseObject({ text: z.string() }).optional() })),
});

const ScoreResult = z.looseObject({
  id: z.string(),
  object: z.literal("list"),
  model: z.string(),
  data: z.array(z.looseObject({ index: z.number().int(), object: z.literal("score"), score: z.number() })),
  usage: PoolingUsage,
});

/** The documented response bodies, by component name (tests check real responses against them). */
export const RESPONSE_SCHEMAS = {
  ChatCompletion,
  Completion,
  Model: ModelCard,
  ModelList,
  Health,
  Version,
  Error: ErrorResponse,
  AnthropicMessage,
  AnthropicError,
  MessageTokensCount,
  Response: ResponseObject,
  ResponseDeleted,
  Tokenized,
  Detokenized,
  EmbeddingList,
  RerankResult,
  ScoreResult,
};

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
    400: "Invalid request (OpenAI error shape; `param` names the field), or a prompt longer than the context (`context_length_exceeded`).",
    401: "Missing or wrong API key.",
    404: "Unknown model or route.",
    413: "Body larger than --max-request-bytes.",
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

/** A POST answered with JSON (or SSE with `stream: true`), its errors in the `error` component's shape. */
function postOperation(summary: string, body: string, result: string, auth: boolean, error = "Error", sse = true) {
  const errorsIn = Object.fromEntries(
    Object.entries(errors([400, 404, 413, 415, 429, 500, 503], auth)).map(([status, value]) => [
      status,
      { ...(value as Record<string, unknown>), content: json(error) },
    ]),
  );
  const stream = sse ? { "text/event-stream": { schema: { type: "string" } } } : {};
  const description = sse ? "The result, or with `stream: true` server-sent events named by their `type`." : "The result.";
  return {
    summary,
    requestBody: { required: true, content: json(body) },
    responses: { "200": { description, content: { ...json(result), ...stream } }, ...errorsIn },
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
      "/v1/messages": { post: postOperation("Anthropic Messages API", "MessagesRequest", "AnthropicMessage", auth, "AnthropicError") },
      "/v1/messages/count_tokens": {
        post: postOperation("Tokens of a Messages prompt", "CountTokensRequest", "MessageTokensCount", auth, "AnthropicError", false),
      },
      "/v1/responses": { post: postOperation("OpenAI Responses API", "ResponsesRequest", "Response", auth) },
      "/v1/responses/{id}": {
        parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" }, description: "A stored response's id." }],
        get: getOperation("A stored response", ref("Response"), auth, [404, 500]),
        delete: getOperation("Deletes a stored response", ref("ResponseDeleted"), auth, [404, 500]),
      },
      "/tokenize": { post: postOperation("Token ids of a prompt or of chat messages (vLLM)", "TokenizeRequest", "Tokenized", auth, "Error", false) },
      "/detokenize": { post: postOperation("Text of token ids (vLLM)", "DetokenizeRequest", "Detokenized", auth, "Error", false) },
      "/v1/embeddings": { post: postOperation("Embeddings of texts or token ids (OpenAI)", "EmbeddingRequest", "EmbeddingList", auth, "Error", false) },
      "/v1/rerank": { post: postOperation("Documents ranked by relevance to a query (vLLM, Jina, Cohere)", "RerankRequest", "RerankResult", auth, "Error", false) },
      "/v1/score": { post: postOperation("Relevance scores of text pairs (vLLM)", "ScoreRequest", "ScoreResult", auth, "Error", false) },
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
        MessagesRequest: jsonSchemaOf(MessagesRequest, "input"),
        CountTokensRequest: jsonSchemaOf(CountTokensRequest, "input"),
        ResponsesRequest: jsonSchemaOf(ResponsesRequest, "input"),
        TokenizeRequest: jsonSchemaOf(TokenizeRequest, "input"),
        EmbeddingRequest: jsonSchemaOf(EmbeddingRequest, "input"),
        RerankRequest: jsonSchemaOf(RerankRequest, "input"),
        ScoreRequest: jsonSchemaOf(ScoreRequest, "input"),
        DetokenizeRequest: jsonSchemaOf(DetokenizeRequest, "input"),
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
