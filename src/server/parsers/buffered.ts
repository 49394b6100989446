/** The skeleton the streaming tool-call parsers share: a buffer of unconsumed text that `step` eats until it needs more. */
import type { ToolCallParser, ToolEvent } from "./tool-call.ts";
import { ToolEvents } from "./tool-call.ts";

export abstract class BufferedToolParser implements ToolCallParser {
  /** Text pushed but not consumed yet. */
  protected buffer = "";

  push(text: string): ToolEvent[] {
    this.buffer += text;
    const out = new ToolEvents();
    while (this.step(out));
    return out.list;
  }

  flush(): ToolEvent[] {
    const out = new ToolEvents();
    while (this.step(out));
    this.finish(out);
    this.buffer = "";
    return out.list;
  }

  /** Consumes what it can of the buffer; true when it moved on and should run again. */
  protected abstract step(out: ToolEvents): boolean;

  /** At the end of the stream: releases what the buffer and the parser's state still hold. */
  protected abstract finish(out: ToolEvents): void;
}

/** A buffered parser driven by named states; once it has seen a call, text that is only whitespace is dropped. */
export abstract class StateToolParser<S extends string> extends BufferedToolParser {
  protected abstract state: S;
  protected sawCall = false;

  /** Moves to `state` with `buffer` left to consume; true, so that `step` runs again. */
  protected enter(state: S, buffer: string): boolean {
    this.state = state;
    this.buffer = buffer;
    return true;
  }

  protected emitText(text: string, out: ToolEvents): void {
    if (this.sawCall && text.trim() === "") return;
    out.content(text);
  }
}
