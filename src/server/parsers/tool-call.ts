/** Tool-call parsing contract and the JSON helpers both formats share. */

/** A complete call parsed from model output; `arguments` is a JSON string as OpenAI returns it. */
export interface ParsedToolCall {
  name: string;
  arguments: string;
}

/** What one parser step releases: plain text and finished calls (in output order: text first). */
export interface ToolParseStep {
  content: string;
  calls: ParsedToolCall[];
}

/**
 * A streaming tool-call parser: `push` each delta, `flush` at the end. Text that may still become part of a
 * call is held back, so call markup never reaches `content`.
 */
export interface ToolCallParser {
  push(text: string): ToolParseStep;
  flush(): ToolParseStep;
}

/**
 * Reads `{"name": ..., "arguments" | "parameters": {...}}`; null when `json` is not such an object.
 *
 * @example
 *   toolCallFromJson('{"name":"f","arguments":{"x":1}}') // { name: "f", arguments: '{"x":1}' }
 */
export function toolCallFromJson(json: string): ParsedToolCall | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  if (typeof record.name !== "string" || record.name === "") return null;
  const args = "arguments" in record ? record.arguments : "parameters" in record ? record.parameters : {};
  if (typeof args === "string") return { name: record.name, arguments: args };
  if (typeof args !== "object" || args === null) return null;
  return { name: record.name, arguments: JSON.stringify(args) };
}

/**
 * Index just past the JSON object that starts at `text[0]` (`{`), or -1 while it is incomplete.
 *
 * @example
 *   jsonObjectEnd('{"a":"}"} tail') // 9
 */
export function jsonObjectEnd(text: string): number {
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === "\\") escaped = true;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "{") depth++;
    else if (ch === "}" && --depth === 0) return i + 1;
  }
  return -1;
}
