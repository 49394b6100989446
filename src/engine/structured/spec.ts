/**
 * What a request constrains its output to, as plain data (it crosses to the model thread by structured clone):
 * OpenAI's `response_format`, vLLM's `structured_outputs` extras, and forced tool calls.
 */
import type { ToolCallFormat } from "../protocol.ts";

/** A tool whose call may be forced: its name and its parameters' JSON schema. */
export interface ForcedTool {
  name: string;
  parameters: Record<string, unknown>;
}

export type StructuredOutputSpec =
  /** Any JSON object. */
  | { type: "json_object" }
  /** JSON valid against `schema`. `strict: false` lets objects carry properties the schema does not name. */
  | { type: "json_schema"; schema: Record<string, unknown> | boolean; strict?: boolean }
  | { type: "regex"; pattern: string }
  /** Exactly one of the strings. */
  | { type: "choice"; choices: string[] }
  /** An EBNF (GBNF, `root ::= ...`) or Lark (`start: ...`) grammar. */
  | { type: "grammar"; grammar: string }
  /** One call of one of `tools` in the model family's tool-call syntax, arguments valid against its schema. */
  | { type: "tool_call"; format: ToolCallFormat; tools: ForcedTool[] };

/** A request whose constraint cannot be served; the message names the feature. Surfaces as a 400. */
export class StructuredOutputError extends Error {
  override name = "StructuredOutputError";
  constructor(message: string, readonly param: string) {
    super(message);
  }
}

/** Keywords xgrammar accepts but does not enforce (or enforces only in part): refused rather than ignored. */
const UNENFORCED_KEYWORDS = [
  "not", "if", "then", "else", "multipleOf", "uniqueItems", "contains", "minContains", "maxContains",
  "dependentRequired", "dependentSchemas", "unevaluatedProperties", "unevaluatedItems", "$dynamicRef",
] as const;

/** String formats xgrammar turns into patterns. */
const FORMATS = new Set([
  "email", "date", "time", "date-time", "duration", "ipv4", "ipv6", "hostname", "uuid", "uri", "uri-reference",
  "uri-template", "json-pointer", "relative-json-pointer",
]);

const SUBSCHEMA_MAPS = ["properties", "$defs", "definitions", "patternProperties", "dependentSchemas"];
const SUBSCHEMA_LISTS = ["anyOf", "oneOf", "allOf", "prefixItems"];
const SUBSCHEMAS = ["items", "additionalProperties", "propertyNames", "not", "if", "then", "else", "contains"];

/**
 * Refuses a JSON schema that uses a feature the grammar engine would not enforce, naming the keyword and where.
 *
 * @example
 *   checkSchema({ type: "array", uniqueItems: true }, "response_format.json_schema.schema")
 *   // throws StructuredOutputError("... 'uniqueItems' is not supported (at #) ...")
 */
export function checkSchema(schema: unknown, param: string, at = "#", root: unknown = schema): void {
  if (typeof schema === "boolean") return;
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) {
    throw new StructuredOutputError(`${param}: a JSON schema must be an object or a boolean (at ${at})`, param);
  }
  const s = schema as Record<string, unknown>;
  for (const k of UNENFORCED_KEYWORDS) {
    if (k in s) throw new StructuredOutputError(`${param}: JSON schema keyword '${k}' is not supported (at ${at})`, param);
  }
  if (Array.isArray(s.allOf) && s.allOf.length > 1) {
    throw new StructuredOutputError(`${param}: JSON schema keyword 'allOf' with more than one schema is not supported (at ${at})`, param);
  }
  if (typeof s.$ref === "string" && !s.$ref.startsWith("#")) {
    throw new StructuredOutputError(`${param}: JSON schema '$ref' to another document ('${s.$ref}') is not supported (at ${at})`, param);
  }
  if (typeof s.$ref === "string" && (s.$ref === "#" || s.$ref.startsWith("#/")) && pointerTarget(root, s.$ref) === undefined) {
    throw new StructuredOutputError(`${param}: JSON schema '$ref' '${s.$ref}' points at nothing in the schema (at ${at})`, param);
  }
  if (typeof s.$ref === "string" && refLoops(root, s)) {
    // A schema that is only a reference to itself matches nothing: the grammar would allow no token at all.
    throw new StructuredOutputError(`${param}: JSON schema '$ref' '${s.$ref}' only leads back to itself (at ${at})`, param);
  }
  if (typeof s.format === "string" && !FORMATS.has(s.format)) {
    throw new StructuredOutputError(`${param}: JSON schema string format '${s.format}' is not supported (at ${at})`, param);
  }
  for (const key of SUBSCHEMA_MAPS) {
    const map = s[key];
    if (map && typeof map === "object") for (const [name, sub] of Object.entries(map)) checkSchema(sub, param, `${at}/${key}/${name}`, root);
  }
  for (const key of SUBSCHEMA_LISTS) {
    const list = s[key];
    if (Array.isArray(list)) list.forEach((sub, i) => checkSchema(sub, param, `${at}/${key}/${i}`, root));
  }
  for (const key of SUBSCHEMAS) if (key in s && typeof s[key] === "object") checkSchema(s[key], param, `${at}/${key}`, root);
}

/** Whether following `schema`'s chain of bare references (schemas that are a `$ref` and nothing else) comes back round. */
function refLoops(root: unknown, schema: Record<string, unknown>): boolean {
  const seen = new Set<unknown>();
  let node: unknown = schema;
  while (node !== null && typeof node === "object" && !Array.isArray(node)) {
    const keys = Object.keys(node).filter((k) => k !== "$defs" && k !== "definitions" && k !== "$schema" && k !== "$id" &&
      k !== "title" && k !== "description" && k !== "$comment");
    const ref = (node as Record<string, unknown>).$ref;
    if (keys.length !== 1 || typeof ref !== "string" || !(ref === "#" || ref.startsWith("#/"))) return false;
    if (seen.has(node)) return true;
    seen.add(node);
    node = pointerTarget(root, ref);
  }
  return false;
}

/** What a local JSON pointer (`#`, `#/$defs/Item`, with `~0`, `~1` and %-escapes) names in `root`; undefined if nothing. */
function pointerTarget(root: unknown, ref: string): unknown {
  let node = root;
  let tokens: string[];
  try {
    tokens = ref === "#" ? [] : ref.slice(2).split("/").map((t) => decodeURIComponent(t).replaceAll("~1", "/").replaceAll("~0", "~"));
  } catch {
    return undefined; // a malformed %-escape
  }
  for (const token of tokens) {
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, token)) return undefined;
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}

/** Checks a spec's own shape (schemas, lists) before any grammar is built. */
export function checkSpec(spec: StructuredOutputSpec, param: string): void {
  switch (spec.type) {
    case "json_schema":
      checkSchema(spec.schema, param);
      return;
    case "choice":
      if (spec.choices.length === 0) throw new StructuredOutputError(`${param}: choice needs at least one string`, param);
      return;
    case "tool_call":
      if (spec.tools.length === 0) throw new StructuredOutputError(`${param}: no tools to call`, param);
      // A tool's schema is the tools' field, whatever field forced the call.
      for (const t of spec.tools) checkSchema(t.parameters, "tools", `#(${t.name})`);
      return;
    default:
      return;
  }
}
