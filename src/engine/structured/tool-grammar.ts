/**
 * Forced tool calls as xgrammar structural tags: one call of one of the tools, in the model family's syntax
 * (the text the server's tool-call parser for that family reads), its arguments held to the tool's schema.
 */
import type { ToolCallFormat } from "../protocol.ts";
import { type ForcedTool, StructuredOutputError } from "./spec.ts";

type Content = { type: "json_schema"; json_schema: unknown } | { type: "qwen_xml_parameter"; json_schema: unknown };
interface Tag {
  type: "tag";
  begin: string;
  content: Content;
  end: string;
}

/** The opening text, the argument syntax and the closing text of one call, per format. */
function callTag(format: ToolCallFormat, tool: ForcedTool): Tag {
  const name = JSON.stringify(tool.name);
  const json: Content = { type: "json_schema", json_schema: tool.parameters };
  switch (format) {
    case "hermes":
      return { type: "tag", begin: `<tool_call>\n{"name": ${name}, "arguments": `, content: json, end: "}\n</tool_call>" };
    case "llama3_json":
      return { type: "tag", begin: `{"name": ${name}, "parameters": `, content: json, end: "}" };
    case "mistral":
      return { type: "tag", begin: `[TOOL_CALLS][{"name": ${name}, "arguments": `, content: json, end: "}]" };
    case "qwen3_coder":
      return {
        type: "tag", begin: `<tool_call>\n<function=${tool.name}>\n`,
        // The template writes a newline after each `</parameter>`; the parameters grammar ends at the last one.
        content: { type: "qwen_xml_parameter", json_schema: tool.parameters }, end: "\n</function>\n</tool_call>",
      };
    case "openai":
      return { type: "tag", begin: `<|channel|>commentary to=functions.${tool.name} <|constrain|>json<|message|>`, content: json, end: "<|call|>" };
    case "pythonic":
    case "none":
      throw new StructuredOutputError(`tool_choice: forcing a call is not supported for the '${format}' tool-call format`, "tool_choice");
  }
}

/**
 * The structural tag that forces exactly one call of one of `tools`.
 *
 * @example
 *   toolCallStructuralTag("hermes", [{ name: "f", parameters: { type: "object" } }])
 *   // { type: "structural_tag", format: { type: "tag", begin: '<tool_call>\n{"name": "f", "arguments": ', ... } }
 */
export function toolCallStructuralTag(format: ToolCallFormat, tools: readonly ForcedTool[]): Record<string, unknown> {
  const tags = tools.map((t) => callTag(format, t));
  return { type: "structural_tag", format: tags.length === 1 ? tags[0] : { type: "or", elements: tags } };
}
