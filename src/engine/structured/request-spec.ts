/** The output constraint of a generate request: its `structured` field, or the call its `toolChoice` forces. */
import { type GenerateRequest, InvalidRequestError, type ToolCallFormat } from "../protocol.ts";
import { SpecChecker } from "./spec-check.ts";
import { type ForcedTool, StructuredOutputError, type StructuredOutputSpec } from "./spec.ts";

/** The tools a `toolChoice` forces: all of them for "required", the named one for a function choice. */
function forcedTools(request: GenerateRequest): ForcedTool[] | null {
  if (request.kind !== "chat" || !request.tools || request.toolChoice === undefined || request.toolChoice === "auto") return null;
  const choice = request.toolChoice;
  const tools = request.tools.filter((t) => choice === "required" || t.function.name === choice.function.name);
  // A tool without parameters takes an empty object.
  return tools.map((t) => ({ name: t.function.name, parameters: t.function.parameters ?? { type: "object", properties: {} } }));
}

/** Builds each spec's grammar off this (the HTTP) thread, within a time limit. */
let checker: SpecChecker | null = null;

/**
 * The constraint a request carries, checked so that a bad one is a 400 before the response starts. Throws
 * `InvalidRequestError` naming the unsupported feature.
 *
 * @example
 *   await requestSpec({ ...chat, toolChoice: "required", tools }, "hermes") // { type: "tool_call", format: "hermes", tools }
 */
export async function requestSpec(request: GenerateRequest, format: ToolCallFormat): Promise<StructuredOutputSpec | undefined> {
  const tools = forcedTools(request);
  const spec: StructuredOutputSpec | undefined = tools ? { type: "tool_call", format, tools } : request.structured;
  if (!spec) return undefined;
  try {
    await (checker ??= new SpecChecker()).check(spec);
  } catch (e) {
    if (e instanceof StructuredOutputError) throw new InvalidRequestError(e.message, e.param);
    throw e;
  }
  return spec;
}
