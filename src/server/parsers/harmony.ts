/**
 * gpt-oss Harmony output: messages `<|channel|>analysis<|message|>…<|end|>`, then
 * `<|start|>assistant<|channel|>commentary to=functions.name <|constrain|>json<|message|>{…}<|call|>` for a call
 * and `<|start|>assistant<|channel|>final<|message|>…<|return|>` for the answer. The prompt ends with
 * `<|start|>assistant`, so the output starts at the first header.
 */
import { BufferedToolParser } from "./buffered.ts";
import { partialTagLength } from "./holdback.ts";
import { ToolEvents } from "./tool-call.ts";

const MESSAGE = "<|message|>";
const ENDS = ["<|end|>", "<|call|>", "<|return|>"];
const START = "<|start|>";
const HEADER_STARTS = ["<|channel|>", START, "assistant", "to="];

type Route = "reasoning" | "content" | "call";

/**
 * Streaming Harmony parser. The analysis channel is reasoning, a message addressed `to=functions.NAME` (or
 * another recipient) is a call whose body streams as its arguments, the final and commentary channels are
 * content. Output that does not begin with a Harmony header is plain content.
 *
 * @example
 *   new HarmonyParser().push('<|channel|>analysis<|message|>why<|end|><|start|>assistant<|channel|>commentary to=functions.f <|constrain|>json<|message|>{}<|call|>')
 *   // reasoning "why", call f, arguments "{}", end
 */
export class HarmonyParser extends BufferedToolParser {
  #state: "header" | "body" | "between" | "plain" = "header";
  #route: Route = "content";

  protected finish(out: ToolEvents): void {
    if (this.#state === "body") {
      this.#emit(this.buffer, out);
      if (this.#route === "call") out.end();
    } else if (this.#state === "header" || this.#state === "plain") out.content(this.buffer);
    this.#state = "between";
  }

  protected step(out: ToolEvents): boolean {
    const buffer = this.buffer;
    if (this.#state === "plain") {
      out.content(buffer);
      this.buffer = "";
      return false;
    }
    if (this.#state === "between") {
      const body = buffer.trimStart();
      if (body === "" || (START.startsWith(body) && body !== START)) return false;
      if (!body.startsWith(START)) return this.#enter("plain", body);
      return this.#enter("header", body.slice(START.length));
    }
    if (this.#state === "header") {
      const at = buffer.indexOf(MESSAGE);
      if (at < 0) {
        const head = buffer.trimStart();
        const viable = head === "" || HEADER_STARTS.some((s) => head.startsWith(s) || s.startsWith(head));
        return viable ? false : this.#enter("plain", buffer);
      }
      this.#route = this.#open(buffer.slice(0, at), out);
      return this.#enter("body", buffer.slice(at + MESSAGE.length));
    }
    let end = -1;
    let tag = "";
    for (const candidate of ENDS) {
      const i = buffer.indexOf(candidate);
      if (i >= 0 && (end < 0 || i < end)) [end, tag] = [i, candidate];
    }
    if (end < 0) {
      const keep = Math.max(...ENDS.map((t) => partialTagLength(buffer, t)), partialTagLength(buffer, START));
      this.#emit(buffer.slice(0, buffer.length - keep), out);
      this.buffer = buffer.slice(buffer.length - keep);
      return false;
    }
    this.#emit(buffer.slice(0, end), out);
    if (this.#route === "call") out.end();
    return this.#enter("between", buffer.slice(end + tag.length));
  }

  /** Reads a header (`assistant<|channel|>commentary to=functions.f <|constrain|>json`) and opens its message. */
  #open(header: string, out: ToolEvents): Route {
    const recipient = /to=([^\s<]+)/.exec(header)?.[1];
    if (recipient !== undefined) {
      out.call(recipient.replace(/^functions\./, ""));
      return "call";
    }
    const channel = /<\|channel\|>\s*([^\s<]+)/.exec(header)?.[1];
    return channel === "analysis" ? "reasoning" : "content";
  }

  #emit(text: string, out: ToolEvents): void {
    if (this.#route === "reasoning") out.reasoning(text);
    else if (this.#route === "call") out.arguments(text);
    else out.content(text);
  }

  #enter(state: "header" | "body" | "between" | "plain", buffer: string): boolean {
    this.#state = state;
    this.buffer = buffer;
    return true;
  }
}
