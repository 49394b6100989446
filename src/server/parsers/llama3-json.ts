/** Llama 3.x JSON tool calls: `<|python_tag|>{"name": ..., "parameters": {...}}; {...}` or a bare object. */
import { jsonObjectEnd, type ToolCallParser, type ToolParseStep, toolCallFromJson } from "./tool-call.ts";

const PYTHON_TAG = "<|python_tag|>";

type Mode = "start" | "json" | "text";

/**
 * Streaming Llama 3 JSON parser. Calls are recognised only when the output begins with `<|python_tag|>` or
 * `{`; objects separated by `;` are parallel calls. A leading object that is not a call turns the whole output
 * into plain content.
 *
 * @example
 *   new Llama3JsonToolParser().push('{"name":"f","parameters":{"x":1}}') // 1 call, arguments '{"x":1}'
 */
export class Llama3JsonToolParser implements ToolCallParser {
  #buffer = "";
  #mode: Mode = "start";
  #sawCall = false;

  push(text: string): ToolParseStep {
    this.#buffer += text;
    const step: ToolParseStep = { content: "", calls: [] };
    for (;;) {
      if (this.#mode === "start" && !this.#decideStart()) break;
      if (this.#mode === "text") {
        step.content += this.#buffer;
        this.#buffer = "";
        break;
      }
      if (this.#mode === "json" && !this.#nextObject(step)) break;
    }
    return step;
  }

  flush(): ToolParseStep {
    const step = this.push("");
    const rest = this.#buffer;
    this.#buffer = "";
    if (!(this.#sawCall && rest.trim() === "")) step.content += rest;
    return step;
  }

  /** Returns false while the beginning is still ambiguous. */
  #decideStart(): boolean {
    const trimmed = this.#buffer.trimStart();
    if (trimmed === "" || (PYTHON_TAG.startsWith(trimmed) && trimmed !== PYTHON_TAG)) return false;
    if (trimmed.startsWith(PYTHON_TAG)) {
      this.#buffer = trimmed.slice(PYTHON_TAG.length);
      this.#mode = "json";
    } else {
      this.#mode = trimmed.startsWith("{") ? "json" : "text";
      if (this.#mode === "json") this.#buffer = trimmed;
    }
    return true;
  }

  /** Consumes one object (or separator); returns false when it must wait for more text. */
  #nextObject(step: ToolParseStep): boolean {
    const rest = this.#buffer.replace(/^[\s;]+/, "");
    if (rest === "") return false;
    if (!rest.startsWith("{")) {
      this.#buffer = this.#sawCall ? rest : this.#buffer;
      this.#mode = "text";
      return true;
    }
    const end = jsonObjectEnd(rest);
    if (end < 0) return false;
    const call = toolCallFromJson(rest.slice(0, end));
    if (!call) {
      this.#mode = "text";
      if (this.#sawCall) this.#buffer = rest;
      return true;
    }
    step.calls.push(call);
    this.#sawCall = true;
    this.#buffer = rest.slice(end);
    return true;
  }
}
