/** Hermes-style tool calls (Qwen2.5, Qwen3): `<tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>`. */
import { partialTagLength, trailingWhitespaceLength } from "./holdback.ts";
import { type ToolCallParser, type ToolParseStep, toolCallFromJson } from "./tool-call.ts";

const OPEN = "<tool_call>";
const CLOSE = "</tool_call>";

/**
 * Streaming Hermes parser. Text before a call is content (trailing whitespace trimmed); whitespace between
 * and after calls is dropped. A block that is not a valid call, or is cut off by the end of the output, is
 * returned as content verbatim, since dropping model text would lose data.
 *
 * @example
 *   const p = new HermesToolParser();
 *   p.push('Sure.\n<tool_call>\n{"name":"f","arguments":{}}\n</tool_call>') // content "Sure.", 1 call
 */
export class HermesToolParser implements ToolCallParser {
  #buffer = "";
  #inCall = false;
  #sawCall = false;

  push(text: string): ToolParseStep {
    this.#buffer += text;
    const step: ToolParseStep = { content: "", calls: [] };
    for (;;) {
      if (this.#inCall) {
        const close = this.#buffer.indexOf(CLOSE);
        if (close < 0) break;
        this.#finishCall(this.#buffer.slice(0, close), step, true);
        this.#buffer = this.#buffer.slice(close + CLOSE.length);
        this.#inCall = false;
        continue;
      }
      const open = this.#buffer.indexOf(OPEN);
      if (open >= 0) {
        this.#emitText(this.#buffer.slice(0, open).trimEnd(), step);
        this.#buffer = this.#buffer.slice(open + OPEN.length);
        this.#inCall = true;
        continue;
      }
      const partial = partialTagLength(this.#buffer, OPEN);
      const text = this.#buffer.slice(0, this.#buffer.length - partial);
      const keep = partial + trailingWhitespaceLength(text);
      this.#emitText(this.#buffer.slice(0, this.#buffer.length - keep), step);
      this.#buffer = this.#buffer.slice(this.#buffer.length - keep);
      break;
    }
    return step;
  }

  flush(): ToolParseStep {
    const step: ToolParseStep = { content: "", calls: [] };
    if (this.#inCall) this.#finishCall(this.#buffer, step, false);
    else this.#emitText(this.#buffer, step);
    this.#buffer = "";
    this.#inCall = false;
    return step;
  }

  #finishCall(body: string, step: ToolParseStep, closed: boolean): void {
    const call = toolCallFromJson(body.trim());
    if (call) {
      step.calls.push(call);
      this.#sawCall = true;
      return;
    }
    step.content += OPEN + body + (closed ? CLOSE : "");
  }

  #emitText(text: string, step: ToolParseStep): void {
    if (this.#sawCall && text.trim() === "") return;
    step.content += text;
  }
}
