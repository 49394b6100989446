/**
 * Structured-output fields of the request bodies: OpenAI's `response_format` (chat) and `text.format`
 * (Responses), and vLLM's `structured_outputs` extras (`json`, `regex`, `choice`, `grammar`, `json_object`) with
 * their older `guided_*` spellings. Each becomes the engine's one {@link StructuredOutputRequest}.
 */
import { z } from "zod";
import type { StructuredOutputRequest } from "../../engine/protocol.ts";
import { ApiError } from "../errors.ts";

const schemaValue = z.union([z.record(z.string(), z.unknown()), z.boolean()]);

/** Chat's `response_format`. */
export const responseFormat = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    json_schema: z.object({
      name: z.string().optional(),
      description: z.string().optional(),
      schema: schemaValue.optional(),
      strict: z.boolean().nullish(),
    }),
  }),
], { error: (issue) => (issue.code === "invalid_union" ? "response_format.type must be 'text', 'json_object' or 'json_schema'" : undefined) });

/** The Responses API's `text.format` (the schema sits beside the type). */
export const textFormat = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    name: z.string().optional(),
    description: z.string().optional(),
    schema: schemaValue,
    strict: z.boolean().nullish(),
  }),
]);

/** vLLM's `structured_outputs` object. */
export const structuredOutputs = z.object({
  json: z.union([schemaValue, z.string()]).nullish(),
  regex: z.string().nullish(),
  choice: z.array(z.string()).nullish(),
  grammar: z.string().nullish(),
  json_object: z.boolean().nullish(),
});

/** The body fields this module reads (chat and completions carry them at the top level). */
export const structuredFields = {
  structured_outputs: structuredOutputs.nullish(),
  guided_json: z.union([schemaValue, z.string()]).nullish(),
  guided_regex: z.string().nullish(),
  guided_choice: z.array(z.string()).nullish(),
  guided_grammar: z.string().nullish(),
};

type StructuredBody = {
  response_format?: z.infer<typeof responseFormat> | null;
  structured_outputs?: z.infer<typeof structuredOutputs> | null;
  guided_json?: unknown;
  guided_regex?: string | null;
  guided_choice?: string[] | null;
  guided_grammar?: string | null;
};

function invalid(message: string, param: string): ApiError {
  return new ApiError(400, message, { param, code: "invalid_value" });
}

function schemaOf(value: unknown, param: string): Record<string, unknown> | boolean {
  if (typeof value !== "string") return value as Record<string, unknown> | boolean;
  try {
    return JSON.parse(value) as Record<string, unknown> | boolean;
  } catch {
    throw invalid(`${param} is not valid JSON`, param);
  }
}

/** The `text.format` of a Responses body as the engine's constraint; undefined for plain text. */
export function fromTextFormat(format: z.infer<typeof textFormat> | null | undefined): StructuredOutputRequest | undefined {
  if (!format || format.type === "text") return undefined;
  if (format.type === "json_object") return { type: "json_object" };
  return { type: "json_schema", schema: format.schema, ...(format.strict == null ? {} : { strict: format.strict }) };
}

/**
 * The one constraint a chat or completion body asks for; undefined when it asks for none. Asking for two
 * (e.g. `response_format` json_schema and `structured_outputs.regex`) is a 400.
 *
 * @example
 *   structuredRequest({ response_format: { type: "json_object" } }) // { type: "json_object" }
 */
export function structuredRequest(body: StructuredBody): StructuredOutputRequest | undefined {
  const found: [string, StructuredOutputRequest][] = [];
  const rf = body.response_format;
  if (rf?.type === "json_object") found.push(["response_format", { type: "json_object" }]);
  if (rf?.type === "json_schema") {
    const { schema, strict } = rf.json_schema;
    // OpenAI's SDKs always send a schema; without one any JSON object will do.
    found.push(["response_format", schema === undefined ? { type: "json_object" }
      : { type: "json_schema", schema, ...(strict == null ? {} : { strict }) }]);
  }
  const so = body.structured_outputs ?? {};
  const json = so.json ?? body.guided_json;
  if (json != null) found.push(["structured_outputs.json", { type: "json_schema", schema: schemaOf(json, "structured_outputs.json") }]);
  const regex = so.regex ?? body.guided_regex;
  if (regex != null) found.push(["structured_outputs.regex", { type: "regex", pattern: regex }]);
  const choice = so.choice ?? body.guided_choice;
  if (choice != null) {
    if (choice.length === 0) throw invalid("structured_outputs.choice must name at least one string", "structured_outputs.choice");
    found.push(["structured_outputs.choice", { type: "choice", choices: choice }]);
  }
  const grammar = so.grammar ?? body.guided_grammar;
  if (grammar != null) found.push(["structured_outputs.grammar", { type: "grammar", grammar }]);
  if (so.json_object === true) found.push(["structured_outputs.json_object", { type: "json_object" }]);
  if (found.length > 1) {
    throw invalid(`only one output constraint may be given; got ${found.map(([p]) => p).join(" and ")}`, found[1]![0]);
  }
  return found[0]?.[1];
}
