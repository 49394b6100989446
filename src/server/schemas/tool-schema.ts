/** Checks that a tool's `parameters` is a JSON Schema (with ajv's meta-schemas) for an object. */
import { Ajv } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";

// Draft-07 (ajv's default, also used when `$schema` is absent) and 2020-12; neither compiles user schemas.
const draft07 = new Ajv({ strict: false });
const draft2020 = new Ajv2020({ strict: false });

function validatorFor(schemaUri: unknown): Ajv | Ajv2020 | null {
  if (schemaUri === undefined) return draft07;
  if (typeof schemaUri !== "string") return null;
  if (schemaUri.includes("draft-07") || schemaUri.includes("draft-06")) return draft07;
  if (schemaUri.includes("2020-12")) return draft2020;
  return null;
}

/**
 * Why `parameters` is not an acceptable tool schema, or null when it is: it must be a valid JSON Schema
 * (draft-07, or 2020-12 when `$schema` says so) whose top level, if typed, is `type: "object"`.
 *
 * @example
 *   toolParametersProblem({ type: "object", properties: { city: { type: "string" } } }) // null
 *   toolParametersProblem({ type: "object", properties: 5 }) // "parameters/properties must be object"
 */
export function toolParametersProblem(parameters: Record<string, unknown>): string | null {
  if ("type" in parameters && parameters.type !== "object") return 'the top level must have type "object"';
  const ajv = validatorFor(parameters.$schema);
  if (ajv === null) return "unsupported $schema (use JSON Schema draft-07 or 2020-12)";
  if (ajv.validateSchema(parameters)) return null;
  return `not a valid JSON Schema: ${ajv.errorsText(ajv.errors, { dataVar: "parameters" })}`;
}
