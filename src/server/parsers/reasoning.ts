/** Splits a reasoning span (`<think>…</think>`) from the answer, streaming, with partial-tag holdback. */
import type { ReasoningTags } from "../../engine/protocol.ts";
import { partialTagLength } from "./holdback.ts";

/** Text routed to `reasoning_content` and to `content` by one step. */
export interface ReasoningSplit {
  reasoning: string;
  content: string;
}

type State = "beforeStart" | "inside" | "content";

/**
 * Streaming splitter. The start tag is recognised only at the beginning of the output (after whitespace);
 * with `promptOpensReasoning` the output starts inside the span and everything before the end tag is
 * reasoning. Whitespace right after the end tag is dropped.
 *
 * @example
 *   const s = new ReasoningSplitter({ start: "<think>", end: "</think>" }, false);
 *   s.push("<thi"); s.push("nk>plan</th"); s.push("ink>\n\nAnswer"); // reasoning "plan", content "Answer"
 */
export class ReasoningSplitter {
  #state: State;
  #buffer = "";
  #atStart = true;
  #afterEnd = false;

  constructor(
    private readonly tags: ReasoningTags,
    promptOpensReasoning: boolean,
  ) {
    this.#state = promptOpensReasoning ? "inside" : "beforeStart";
  }

  push(text: string): ReasoningSplit {
    this.#buffer += text;
    const out: ReasoningSplit = { reasoning: "", content: "" };
    for (;;) {
      if (this.#state === "beforeStart" || (this.#state === "inside" && this.#atStart)) {
        if (!this.#consumeStartTag()) break;
        continue;
      }
      if (this.#state === "inside") {
        const end = this.#buffer.indexOf(this.tags.end);
        if (end >= 0) {
          out.reasoning += this.#buffer.slice(0, end);
          this.#buffer = this.#buffer.slice(end + this.tags.end.length);
          this.#state = "content";
          this.#afterEnd = true;
          continue;
        }
        const keep = partialTagLength(this.#buffer, this.tags.end);
        out.reasoning += this.#buffer.slice(0, this.#buffer.length - keep);
        this.#buffer = this.#buffer.slice(this.#buffer.length - keep);
        break;
      }
      if (this.#afterEnd) {
        this.#buffer = this.#buffer.trimStart();
        if (this.#buffer === "") break;
        this.#afterEnd = false;
      }
      out.content += this.#buffer;
      this.#buffer = "";
      break;
    }
    return out;
  }

  /** Ends the output: whatever is held is emitted on the side it was on. */
  flush(): ReasoningSplit {
    const rest = this.#buffer;
    this.#buffer = "";
    if (this.#state === "inside") return { reasoning: rest, content: "" };
    return { reasoning: "", content: this.#afterEnd ? rest.trimStart() : rest };
  }

  /** Returns false when more text is needed to decide. */
  #consumeStartTag(): boolean {
    const trimmed = this.#buffer.trimStart();
    const start = this.tags.start;
    if (trimmed.startsWith(start)) {
      this.#buffer = trimmed.slice(start.length);
      this.#state = "inside";
      this.#atStart = false;
      return true;
    }
    if (start.startsWith(trimmed)) return false;
    this.#atStart = false;
    if (this.#state === "beforeStart") this.#state = "content";
    return true;
  }
}
