/**
 * Qwen3-Coder XML tool calls:
 * `<tool_call>\n<function=name>\n<parameter=p>\nvalue\n</parameter>\n</function>\n</tool_call>`.
 * Parameter values are text; they become JSON by the type the tool's schema gives them, as Qwen's parser does.
 */
import { StateToolParser } from "./buffered.ts";
import type { ToolDefinition } from "../../engine/protocol.ts";
import { partialTagLength, scanToMarker } from "./holdback.ts";
import { parsePythonLiteral } from "./python-literal.ts";
import { ToolEvents, type ToolParserContext } from "./tool-call.ts";

const OPEN = "<tool_call>";
const CLOSE = "</tool_call>";
const FUNCTION = "<function=";
const FUNCTION_END = "</function>";
const PARAMETER = "<parameter=";
const PARAMETER_END = "</parameter>";

type State = "text" | "function" | "body" | "after" | "junk";

/**
 * Converts one parameter's text by its JSON-schema type: strings stay text; integers, numbers and booleans
 * are read as such (an unreadable number stays text); objects and arrays are read as JSON, then as a Python
 * literal; `null` is null except for strings. Unknown parameters stay text.
 *
 * @example
 *   convertParameter("3", { type: "integer" }) // 3
 */
export function convertParameter(text: string, schema: Record<string, unknown> | undefined): unknown {
  if (schema === undefined) return text;
  let type = "string";
  let nullable = false;
  if (typeof schema.type === "string") {
    type = schema.type.trim().toLowerCase();
    nullable = type === "null";
  } else if (Array.isArray(schema.anyOf)) {
    let picked = false;
    for (const option of schema.anyOf as Record<string, unknown>[]) {
      const optionType = typeof option?.type === "string" ? option.type.trim().toLowerCase() : undefined;
      if (optionType === "null") nullable = true;
      else if (optionType !== undefined && !picked) {
        type = optionType;
        picked = true;
      }
    }
  }
  const lower = text.toLowerCase();
  if (nullable && (lower === "null" || lower === "none")) return null;
  if (["string", "str", "text", "varchar", "char", "enum"].includes(type)) return text;
  if (lower === "null" || lower === "none") return null;
  if (/^(int|uint|long|short|unsigned)/.test(type)) {
    return /^\s*[+-]?\d+(_\d+)*\s*$/.test(text) ? Number(text.replaceAll("_", "")) : text;
  }
  if (type.startsWith("num") || type.startsWith("float")) {
    const n = text.trim() === "" ? Number.NaN : Number(text);
    return Number.isFinite(n) ? n : text;
  }
  if (["boolean", "bool", "binary"].includes(type)) return lower === "true";
  const container = ["object", "array", "arr"].includes(type) || type.startsWith("dict") || type.startsWith("list");
  if (container) {
    try {
      return JSON.parse(text);
    } catch {}
  }
  const literal = parsePythonLiteral(text.trim());
  return literal.ok ? literal.value : text;
}

function toolProperties(tools: ToolDefinition[] | undefined, name: string): Record<string, Record<string, unknown>> | undefined {
  const parameters = tools?.find((t) => t.function.name === name)?.function.parameters;
  const properties = parameters?.properties;
  return properties && typeof properties === "object" ? (properties as Record<string, Record<string, unknown>>) : undefined;
}

/**
 * Streaming Qwen3-Coder parser. A call opens when `<function=name>` is read; each parameter is released as
 * it closes, so argument pieces grow `{"a": 1` → `, "b": "x"` → `}`. A block without `<function=` is content.
 *
 * @example
 *   new Qwen3CoderToolParser({}).push("<tool_call>\n<function=f>\n<parameter=x>\n1\n</parameter>\n</function>\n</tool_call>")
 *   // call f, arguments '{"x":"1"}', end
 */
export class Qwen3CoderToolParser extends StateToolParser<State> {
  readonly #tools: ToolDefinition[] | undefined;
  protected state: State = "text";
  #junk = "";
  #properties: Record<string, Record<string, unknown>> | undefined;
  #params = 0;

  constructor(context: ToolParserContext) {
    super();
    this.#tools = context.tools;
  }

  protected finish(out: ToolEvents): void {
    if (this.state === "text") this.emitText(this.buffer, out);
    else if (this.state === "function" || this.state === "junk") out.content(OPEN + this.#junk + this.buffer);
    else if (this.state === "body") this.#endCall(out);
    this.state = "text";
  }

  protected step(out: ToolEvents): boolean {
    const buffer = this.buffer;
    if (this.state === "text") {
      const scan = scanToMarker(buffer, OPEN);
      this.emitText(scan.text, out);
      if (scan.found) {
        this.#junk = "";
        return this.enter("function", scan.rest);
      }
      this.buffer = scan.rest;
      return false;
    }
    if (this.state === "function") {
      const body = buffer.trimStart();
      if (body === "" || (FUNCTION.startsWith(body) && body !== FUNCTION)) return false;
      const end = body.indexOf(">");
      const name = end < 0 ? "" : body.slice(FUNCTION.length, end).trim();
      if (!body.startsWith(FUNCTION) || (end >= 0 && (name === "" || /[\n<]/.test(name)))) return this.enter("junk", buffer);
      if (end < 0) return body.includes("\n") ? this.enter("junk", buffer) : false;
      out.call(name);
      this.#properties = toolProperties(this.#tools, name);
      this.#params = 0;
      return this.enter("body", body.slice(end + 1));
    }
    if (this.state === "body") return this.#body(out);
    const close = buffer.indexOf(CLOSE);
    if (close < 0) {
      if (this.state === "after") this.buffer = buffer.slice(buffer.length - partialTagLength(buffer, CLOSE));
      return false;
    }
    if (this.state === "junk") out.content(OPEN + this.#junk + buffer.slice(0, close) + CLOSE);
    else this.sawCall = true;
    return this.enter("text", buffer.slice(close + CLOSE.length));
  }

  /** Inside `<function=…>`: parameters, then `</function>`; `</tool_call>` ends the call too. */
  #body(out: ToolEvents): boolean {
    const body = this.buffer.trimStart();
    if (body.startsWith(FUNCTION_END) || body.startsWith(CLOSE)) {
      this.#endCall(out);
      return this.enter("after", body.startsWith(CLOSE) ? body : body.slice(FUNCTION_END.length));
    }
    if (body.startsWith(PARAMETER)) {
      const nameEnd = body.indexOf(">");
      const valueEnd = body.indexOf(PARAMETER_END);
      const close = body.indexOf(CLOSE);
      if (nameEnd < 0 || valueEnd < 0 || (close >= 0 && close < valueEnd)) {
        if (close < 0) return false;
        this.#endCall(out);
        return this.enter("after", body.slice(close));
      }
      const name = body.slice(PARAMETER.length, nameEnd).trim();
      let value = body.slice(nameEnd + 1, valueEnd);
      if (value.startsWith("\n")) value = value.slice(1);
      if (value.endsWith("\n")) value = value.slice(0, -1);
      const json = JSON.stringify(convertParameter(value, this.#properties?.[name]));
      out.arguments(`${this.#params++ === 0 ? "{" : ","}${JSON.stringify(name)}:${json}`);
      return this.enter("body", body.slice(valueEnd + PARAMETER_END.length));
    }
    const viable = [FUNCTION_END, CLOSE, PARAMETER].some((tag) => tag.startsWith(body));
    if (viable) return false;
    // Stray text inside the function: skipped up to the next tag.
    const next = body.indexOf("<", 1);
    this.buffer = next < 0 ? "" : body.slice(next);
    return next >= 0;
  }

  #endCall(out: ToolEvents): void {
    out.arguments(this.#params === 0 ? "{}" : "}");
    out.end();
    this.sawCall = true;
  }
}
