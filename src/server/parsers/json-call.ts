/** One `{"name": ..., "arguments": {...}}` object read in pieces, its arguments streamed as the model writes them. */
import { JsonScanner, type ToolEvents, toolCallFromJson } from "./tool-call.ts";

/** The object's start up to its arguments value: the call is known once this matches and the value opens with `{`. */
const HEADER = /^\{\s*"name"\s*:\s*("(?:[^"\\]|\\.)*")\s*,\s*"(?:arguments|parameters)"\s*:\s*(?=\S)/;

/**
 * Reads one call object. The call opens (`call` event) as soon as `{"name": "f", "arguments": {` is seen and
 * its arguments stream raw; other shapes (name after arguments, string arguments) are parsed when the object
 * ends. A complete object that is not a call ends as `invalid`, and {@link raw} holds its text.
 *
 * @example
 *   const s = new JsonCallStream(); const out = new ToolEvents();
 *   s.feed('{"name": "f", "arguments": {"x"', out); // call "f", arguments '{"x"'
 *   s.feed(': 1}} tail', out) // 11; s.status "call"
 */
export class JsonCallStream {
  status: "open" | "call" | "invalid" = "open";
  #raw = "";
  readonly #outer = new JsonScanner();
  #args: JsonScanner | null = null;
  #argsDone = false;
  #headerChecked = false;

  /** The object's text consumed so far. */
  get raw(): string {
    return this.#raw;
  }

  /** True once the call was opened: it ends as a call whatever follows. */
  get committed(): boolean {
    return this.#args !== null;
  }

  /** Consumes text (the first piece starts with `{`); returns how much of `text` belongs to the object. */
  feed(text: string, out: ToolEvents): number {
    if (this.status !== "open") return 0;
    const outerEnd = this.#outer.feed(text);
    const piece = outerEnd < 0 ? text : text.slice(0, outerEnd);
    this.#raw += piece;
    let argsText = piece;
    if (!this.#headerChecked) {
      const m = HEADER.exec(this.#raw);
      if (m) {
        this.#headerChecked = true;
        const name: unknown = JSON.parse(m[1]!);
        if (typeof name === "string" && name !== "" && this.#raw[m[0].length] === "{") {
          out.call(name);
          this.#args = new JsonScanner();
          argsText = this.#raw.slice(m[0].length);
        }
      }
    }
    if (this.#args && !this.#argsDone) {
      const end = this.#args.feed(argsText);
      out.arguments(end < 0 ? argsText : argsText.slice(0, end));
      this.#argsDone = end >= 0;
    }
    if (outerEnd >= 0) this.#complete(out);
    return outerEnd < 0 ? text.length : outerEnd;
  }

  /** The text ended (or a closing tag came) before the object did. */
  finish(out: ToolEvents): void {
    if (this.status !== "open") return;
    if (this.committed) {
      out.end();
      this.status = "call";
    } else this.status = "invalid";
  }

  #complete(out: ToolEvents): void {
    if (this.committed) {
      out.end();
      this.status = "call";
      return;
    }
    const call = toolCallFromJson(this.#raw);
    if (call) out.whole(call);
    this.status = call ? "call" : "invalid";
  }
}
