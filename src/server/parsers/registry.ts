/** The tool-call parser for each format. */
import type { ToolCallFormat } from "../../engine/protocol.ts";
import { HarmonyParser } from "./harmony.ts";
import { HermesToolParser } from "./hermes.ts";
import { Llama3JsonToolParser } from "./llama3-json.ts";
import { MistralToolParser } from "./mistral.ts";
import { PythonicToolParser } from "./pythonic.ts";
import { Qwen3CoderToolParser } from "./qwen3-coder.ts";
import type { ToolCallParser, ToolParserContext } from "./tool-call.ts";

const PARSERS: Record<Exclude<ToolCallFormat, "none">, (context: ToolParserContext) => ToolCallParser> = {
  hermes: () => new HermesToolParser(),
  qwen3_coder: (context) => new Qwen3CoderToolParser(context),
  llama3_json: () => new Llama3JsonToolParser(),
  mistral: () => new MistralToolParser(),
  pythonic: () => new PythonicToolParser(),
  openai: () => new HarmonyParser(),
};

/**
 * Builds the parser for a format, or null for "none".
 *
 * @example
 *   createToolParser("mistral", {})?.push('[TOOL_CALLS]f[ARGS]{"a": 1}')
 */
export function createToolParser(format: ToolCallFormat, context: ToolParserContext): ToolCallParser | null {
  return format === "none" ? null : PARSERS[format](context);
}
