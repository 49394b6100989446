/**
 * Mistral tool calls after `[TOOL_CALLS]`: the older JSON array `[TOOL_CALLS] [{"name": ..., "arguments": {...}}]`
 * (Mistral 7B v0.3, Nemo) and the newer `[TOOL_CALLS]name[ARGS]{...}`, one marker per call (tokenizer v11+:
 * Mistral Small 3.x, Devstral, Magistral), optionally with `[CALL_ID]id` before `[ARGS]`.
 */
import { StateToolParser } from "./buffered.ts";
import { partialTagLength, scanToMarker } from "./holdback.ts";
import { JsonCallStream } from "./json-call.ts";
import { JsonScanner, ToolEvents } from "./tool-call.ts";

const MARKER = "[TOOL_CALLS]";
const NAMED = /^\s*([\w.-]+)(?:\[CALL_ID\][^[\]]*)?\[ARGS\]\s*(?=\S)/;
const NAME_PREFIX = /^\s*[\w.-]*(?:\[CALL_ID\][^[\]]*)?$/;

type State = "text" | "marker" | "name" | "args" | "array";

/**
 * Streaming Mistral parser. Arguments stream as the model writes them. Markup that fits neither form is
 * content, the marker included.
 *
 * @example
 *   new MistralToolParser().push('[TOOL_CALLS]get_time[ARGS]{"tz": "CET"}') // call get_time, arguments '{"tz": "CET"}', end
 */
export class MistralToolParser extends StateToolParser<State> {
  protected state: State = "text";
  #args: JsonScanner | null = null;
  #call: JsonCallStream | null = null;
  /** The array's text so far, for content if its first element is not a call. */
  #arrayRaw = "";
  #arrayCalls = 0;

  protected finish(out: ToolEvents): void {
    if (this.state === "text") this.emitText(this.buffer, out);
    else if (this.state === "marker" || this.state === "name") out.content(MARKER + this.buffer);
    else if (this.state === "args") out.end();
    else if (this.#call) {
      this.#call.finish(out);
      if (this.#call.status === "invalid") out.content(this.#arrayCalls === 0 ? MARKER + this.#arrayRaw + this.#call.raw + this.buffer : "");
    }
    this.state = "text";
  }

  protected step(out: ToolEvents): boolean {
    const buffer = this.buffer;
    if (this.state === "text") {
      const scan = scanToMarker(buffer, MARKER);
      this.emitText(scan.text, out);
      if (scan.found) return this.enter("marker", scan.rest);
      this.buffer = scan.rest;
      return false;
    }
    if (this.state === "marker") {
      const body = buffer.trimStart();
      if (body === "") return false;
      if (body.startsWith("[")) {
        this.#arrayRaw = buffer.slice(0, buffer.length - body.length + 1);
        this.#arrayCalls = 0;
        return this.enter("array", body.slice(1));
      }
      if (body.startsWith("{")) {
        this.#arrayRaw = buffer.slice(0, buffer.length - body.length);
        this.#arrayCalls = 0;
        this.#call = new JsonCallStream();
        return this.enter("array", body);
      }
      return this.enter("name", buffer);
    }
    if (this.state === "name") return this.#name(out);
    if (this.state === "args") {
      const end = this.#args!.feed(buffer);
      out.arguments(end < 0 ? buffer : buffer.slice(0, end));
      if (end < 0) {
        this.buffer = "";
        return false;
      }
      out.end();
      this.sawCall = true;
      return this.enter("text", buffer.slice(end));
    }
    return this.#array(out);
  }

  #name(out: ToolEvents): boolean {
    const m = NAMED.exec(this.buffer);
    if (m) {
      const rest = this.buffer.slice(m[0].length);
      if (!rest.startsWith("{")) {
        out.content(MARKER + this.buffer);
        return this.enter("text", "");
      }
      out.call(m[1]!);
      this.#args = new JsonScanner();
      return this.enter("args", rest);
    }
    const partial = Math.max(partialTagLength(this.buffer, "[ARGS]"), partialTagLength(this.buffer, "[CALL_ID]"));
    const stem = this.buffer.slice(0, this.buffer.length - partial);
    if (NAME_PREFIX.test(stem) || /\[ARGS\]\s*$/.test(this.buffer)) return false;
    out.content(MARKER + this.buffer);
    return this.enter("text", "");
  }

  /** The older form: call objects separated by commas until `]`. */
  #array(out: ToolEvents): boolean {
    if (this.#call) {
      const used = this.#call.feed(this.buffer, out);
      const status = this.#call.status;
      if (status === "open") {
        this.buffer = "";
        return false;
      }
      this.buffer = this.buffer.slice(used);
      if (status === "invalid") {
        if (this.#arrayCalls === 0) out.content(MARKER + this.#arrayRaw + this.#call.raw);
        this.#call = null;
        return this.enter("text", this.buffer);
      }
      this.#arrayRaw += this.#call.raw;
      this.#call = null;
      this.#arrayCalls++;
      this.sawCall = true;
      if (this.#arrayRaw.trimStart().startsWith("{")) return this.enter("text", this.buffer);
      return true;
    }
    const body = this.buffer.replace(/^[\s,]+/, "");
    if (body === "") return false;
    if (body.startsWith("]")) return this.enter("text", body.slice(1));
    if (body.startsWith("{")) {
      this.#call = new JsonCallStream();
      return this.enter("array", body);
    }
    out.content(this.#arrayCalls === 0 ? MARKER + this.#arrayRaw + this.buffer : this.buffer);
    return this.enter("text", "");
  }
}
