/**
 * Pythonic tool calls, Gemma 3's documented function-calling form: the whole answer is
 * `[func_name1(param=value, ...), func_name2(...)]` (Google's "Function calling with Gemma" prompt).
 */
import { parsePythonCalls, pythonListEnd } from "./python-literal.ts";
import { type ToolCallParser, type ToolEvent, ToolEvents } from "./tool-call.ts";

/**
 * Streaming pythonic parser. An output that begins (after whitespace) with `[` is held until its list closes;
 * a list of keyword-argument calls becomes calls (arguments as JSON objects), anything else is content. Text
 * after the list is content; output not starting with `[` streams as content.
 *
 * @example
 *   new PythonicToolParser().push("[get_time(tz='CET')]") // call get_time, arguments '{"tz":"CET"}', end
 */
export class PythonicToolParser implements ToolCallParser {
  #buffer = "";
  #mode: "start" | "list" | "text" = "start";
  /** Whitespace right after the calls is dropped. */
  #afterCalls = false;

  push(text: string): ToolEvent[] {
    this.#buffer += text;
    const out = new ToolEvents();
    if (this.#mode === "start") {
      const trimmed = this.#buffer.trimStart();
      if (trimmed === "") return out.list;
      this.#mode = trimmed.startsWith("[") ? "list" : "text";
    }
    if (this.#mode === "list") {
      const lead = this.#buffer.length - this.#buffer.trimStart().length;
      const end = pythonListEnd(this.#buffer.slice(lead));
      if (end < 0) return out.list;
      const calls = parsePythonCalls(this.#buffer.slice(lead, lead + end));
      this.#mode = "text";
      if (calls) {
        for (const call of calls) out.whole({ name: call.name, arguments: JSON.stringify(call.args) });
        this.#buffer = this.#buffer.slice(lead + end);
        this.#afterCalls = true;
      }
    }
    if (this.#afterCalls) {
      this.#buffer = this.#buffer.trimStart();
      if (this.#buffer !== "") this.#afterCalls = false;
    }
    out.content(this.#buffer);
    this.#buffer = "";
    return out.list;
  }

  flush(): ToolEvent[] {
    const out = new ToolEvents();
    out.content(this.#buffer);
    this.#buffer = "";
    return out.list;
  }
}
