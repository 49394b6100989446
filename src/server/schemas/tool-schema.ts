/** Checks that a tool's `parameters` is a JSON Schema (with ajv's meta-schemas) for an object. */
import { Ajv } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";

// Draft-07 (ajv's default, also used when `$schema` is absent) and 2020-12, made on first use; neither
// compiles user schemas, they only check them against the meta-schema.
let draft07: Ajv | undefined;
let draft2020: Ajv2020 | undefined;

function validatorFor(schemaUri: unknown): Ajv | Ajv2020 | null {
  if (schemaUri === undefined || (typeof schemaUri === "string" && /draft-0[67]/.test(schemaUri))) {
    return (draft07 ??= new Ajv({ strict: false }));
  }
  if (typeof schemaUri === "string" && schemaUri.includes("2020-12")) return (draft2020 ??= new Ajv2020({ strict: false }));
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
