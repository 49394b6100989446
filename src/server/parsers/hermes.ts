/** Hermes-style tool calls (Qwen2.5, Qwen3): `<tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>`. */
import { StateToolParser } from "./buffered.ts";
import { partialTagLength, scanToMarker } from "./holdback.ts";
import { JsonCallStream } from "./json-call.ts";
import { ToolEvents } from "./tool-call.ts";

const OPEN = "<tool_call>";
const CLOSE = "</tool_call>";

type State = "text" | "start" | "object" | "after" | "junk";

/**
 * Streaming Hermes parser. Text before a call is content (trailing whitespace trimmed); whitespace between
 * and after calls is dropped. Arguments stream as the model writes them. A block that is not a call is
 * returned as content verbatim, tags included; a call cut off by the end of the output ends where it stops.
 *
 * @example
 *   const p = new HermesToolParser();
 *   p.push('Sure.\n<tool_call>\n{"name":"f","arguments":{}}\n</tool_call>') // content "Sure.", call f, arguments "{}", end
 */
export class HermesToolParser extends StateToolParser<State> {
  protected state: State = "text";
  #call: JsonCallStream | null = null;
  /** Text of a block that turned out not to be a call, after its open tag. */
  #junk = "";

  protected finish(out: ToolEvents): void {
    if (this.state === "text") this.emitText(this.buffer, out);
    else if (this.state === "start" || this.state === "junk") out.content(OPEN + this.#junk + this.buffer);
    else if (this.state === "object") {
      this.#call!.finish(out);
      if (this.#call!.status === "invalid") out.content(OPEN + this.#junk + this.#call!.raw + this.buffer);
    }
    this.state = "text";
  }

  /** One state transition; false when more text is needed. */
  protected step(out: ToolEvents): boolean {
    const buffer = this.buffer;
    if (this.state === "text") {
      const scan = scanToMarker(buffer, OPEN);
      this.emitText(scan.text, out);
      if (scan.found) return this.enter("start", scan.rest);
      this.buffer = scan.rest;
      return false;
    }
    if (this.state === "start") {
      const body = buffer.trimStart();
      if (body === "") return false;
      this.#junk = buffer.slice(0, buffer.length - body.length);
      if (!body.startsWith("{")) return this.enter("junk", buffer.slice(this.#junk.length));
      this.#call = new JsonCallStream();
      return this.enter("object", body);
    }
    if (this.state === "object") return this.#object(out);
    const close = buffer.indexOf(CLOSE);
    if (close < 0) {
      if (this.state === "after") this.buffer = buffer.slice(buffer.length - partialTagLength(buffer, CLOSE));
      return false;
    }
    if (this.state === "junk") out.content(OPEN + this.#junk + buffer.slice(0, close) + CLOSE);
    else this.sawCall = true;
    return this.enter("text", buffer.slice(close + CLOSE.length));
  }

  #object(out: ToolEvents): boolean {
    const call = this.#call!;
    const close = this.buffer.indexOf(CLOSE);
    const available = close >= 0 ? close : this.buffer.length - partialTagLength(this.buffer, CLOSE);
    const used = call.feed(this.buffer.slice(0, available), out);
    this.buffer = this.buffer.slice(used);
    if (call.status === "open" && close >= 0) call.finish(out);
    if (call.status === "call") return this.enter("after", this.buffer);
    if (call.status === "invalid") {
      this.#junk += call.raw;
      return this.enter("junk", this.buffer);
    }
    return false;
  }
}
