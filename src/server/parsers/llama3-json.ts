/** Llama 3.x JSON tool calls: `<|python_tag|>{"name": ..., "parameters": {...}}; {...}` or a bare object. */
import { BufferedToolParser } from "./buffered.ts";
import { JsonCallStream } from "./json-call.ts";
import { ToolEvents } from "./tool-call.ts";

const PYTHON_TAG = "<|python_tag|>";

type Mode = "start" | "json" | "text";

/**
 * Streaming Llama 3 JSON parser. Calls are recognised only when the output begins with `<|python_tag|>` or
 * `{`; objects separated by `;` are parallel calls, their arguments streamed as written. A leading object
 * that is not a call turns the whole output into plain content; text after the calls is content.
 *
 * @example
 *   new Llama3JsonToolParser().push('{"name":"f","parameters":{"x":1}}') // call f, arguments '{"x":1}', end
 */
export class Llama3JsonToolParser extends BufferedToolParser {
  #mode: Mode = "start";
  #sawCall = false;
  /** Everything consumed so far while no call was found (content if the first object is not a call). */
  #consumed = "";
  #call: JsonCallStream | null = null;

  protected finish(out: ToolEvents): void {
    if (this.#call) {
      this.#call.finish(out);
      if (this.#call.status === "invalid") this.#toText(this.#call.raw);
      this.#call = null;
    }
    const rest = this.#sawCall ? this.buffer : this.#consumed + this.buffer;
    if (!(this.#sawCall && rest.trim() === "")) out.content(rest);
    this.#consumed = "";
  }

  protected step(out: ToolEvents): boolean {
    if (this.#mode === "start") return this.#decideStart();
    if (this.#mode === "text") {
      out.content(this.#consumed + this.buffer);
      this.#consumed = "";
      this.buffer = "";
      return false;
    }
    if (this.#call) {
      const used = this.#call.feed(this.buffer, out);
      this.buffer = this.buffer.slice(used);
      if (this.#call.status === "open") return false;
      if (this.#call.status === "invalid") this.#toText(this.#call.raw);
      else {
        this.#sawCall = true;
        this.#consumed = "";
      }
      this.#call = null;
      return true;
    }
    const rest = this.buffer.replace(/^[\s;]+/, "");
    if (rest === "") return false;
    if (!rest.startsWith("{")) {
      if (this.#sawCall) this.buffer = rest;
      this.#mode = "text";
      return true;
    }
    if (!this.#sawCall) this.#consumed += this.buffer.slice(0, this.buffer.length - rest.length);
    this.buffer = rest;
    this.#call = new JsonCallStream();
    return true;
  }

  #toText(raw: string): void {
    this.#mode = "text";
    if (!this.#sawCall) this.#consumed += raw;
    else this.buffer = raw + this.buffer;
  }

  /** Returns false while the beginning is still ambiguous. */
  #decideStart(): boolean {
    const trimmed = this.buffer.trimStart();
    if (trimmed === "" || (PYTHON_TAG.startsWith(trimmed) && trimmed !== PYTHON_TAG)) return false;
    if (trimmed.startsWith(PYTHON_TAG)) {
      this.#consumed = this.buffer.slice(0, this.buffer.length - trimmed.length + PYTHON_TAG.length);
      this.buffer = trimmed.slice(PYTHON_TAG.length);
      this.#mode = "json";
    } else this.#mode = trimmed.startsWith("{") ? "json" : "text";
    return true;
  }
}
