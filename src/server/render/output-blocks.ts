/**
 * One choice's output as an ordered list of blocks (thinking, text, tool calls), opened, filled and closed as
 * the engine's deltas arrive. `/v1/messages` and `/v1/responses` render these block events in their own shapes.
 */
import type { DeltaEvent, FinishEvent, FinishReason } from "../../engine/protocol.ts";
import { ChoiceDecoder, type ChoiceDecoderOptions, type DecodedEvent, type OutputToolCall } from "../parsers/choice-decoder.ts";
import { PendingDelta } from "./pending.ts";

export type BlockKind = "thinking" | "text" | "tool";

/** A finished (or still growing) block: its text, or for a tool its call (arguments as the model wrote them, growing as they stream). */
export type OutputBlock = { kind: "thinking"; text: string } | { kind: "text"; text: string } | { kind: "tool"; call: OutputToolCall };

/** What a step released, in order. `index` counts blocks from 0. */
export type BlockEvent =
  | { type: "open"; index: number; block: OutputBlock }
  | { type: "delta"; index: number; kind: BlockKind; text: string }
  | { type: "close"; index: number; block: OutputBlock };

/** How the choice ended. */
export interface BlocksEnd {
  reason: FinishReason;
  /** The stop string that ended it, if one did. */
  stopString?: string;
  calledTools: boolean;
}

/**
 * Assembles one choice's blocks. Whitespace-only text between blocks (e.g. the blank line after `</think>`)
 * is held and dropped unless more text follows.
 *
 * @example
 *   const blocks = new OutputBlocks(options, 1);
 *   for (const e of blocks.delta(deltaEvent)) render(e);
 *   for (const e of blocks.finish(finishEvent)) render(e);
 *   blocks.blocks // [{ kind: "text", text: "Hello" }]
 */
export class OutputBlocks {
  readonly blocks: OutputBlock[] = [];
  readonly #decoder: ChoiceDecoder;
  readonly #pending: PendingDelta;
  #open: OutputBlock | null = null;
  #heldSpace = "";
  #end: BlocksEnd | null = null;

  constructor(options: ChoiceDecoderOptions, interval: number) {
    this.#decoder = new ChoiceDecoder(options);
    this.#pending = new PendingDelta(interval);
  }

  /** Set once {@link finish} ran. */
  get end(): BlocksEnd | null {
    return this.#end;
  }

  delta(event: DeltaEvent): BlockEvent[] {
    this.#pending.add(event);
    if (!this.#pending.ready) return [];
    return this.#apply(this.#decoder.push(this.#pending.take().text));
  }

  /** Flushes the parsers, closes the last block and records how the choice ended. */
  finish(event: Pick<FinishEvent, "finishReason" | "stopString">): BlockEvent[] {
    const pushed = this.#decoder.push(this.#pending.take().text);
    const flushed = this.#decoder.finish();
    const events = [...this.#apply(pushed), ...this.#apply(flushed)];
    if (this.#open) events.push(this.#close());
    const calledTools = this.#decoder.calledTools;
    this.#end = { reason: event.finishReason, calledTools, ...(event.stopString === undefined ? {} : { stopString: event.stopString }) };
    return events;
  }

  #apply(decoded: DecodedEvent[]): BlockEvent[] {
    const events: BlockEvent[] = [];
    for (const event of decoded) {
      if (event.type === "reasoning") events.push(...this.#append("thinking", event.text));
      else if (event.type === "content") events.push(...this.#appendText(event.text));
      else if (event.type === "tool_start") {
        if (this.#open) events.push(this.#close());
        this.#heldSpace = "";
        const block: OutputBlock = { kind: "tool", call: event.call };
        events.push({ type: "open", index: this.blocks.push(block) - 1, block });
        this.#open = block;
      } else if (event.type === "tool_arguments") {
        if (this.#open?.kind === "tool") events.push({ type: "delta", index: this.blocks.length - 1, kind: "tool", text: event.text });
      } else if (this.#open?.kind === "tool") events.push(this.#close());
    }
    return events;
  }

  #appendText(text: string): BlockEvent[] {
    if (this.#open?.kind !== "text" && text.trim() === "") {
      this.#heldSpace += text;
      return [];
    }
    const held = this.#open?.kind === "text" ? "" : this.#heldSpace;
    this.#heldSpace = "";
    return this.#append("text", held + text);
  }

  #append(kind: "thinking" | "text", text: string): BlockEvent[] {
    const events: BlockEvent[] = [];
    const open = this.#open;
    let block: { kind: "thinking" | "text"; text: string };
    if (open !== null && open.kind === kind) block = open;
    else {
      if (open) events.push(this.#close());
      block = { kind, text: "" };
      this.#open = block as OutputBlock;
      events.push({ type: "open", index: this.blocks.push(block as OutputBlock) - 1, block: block as OutputBlock });
    }
    block.text += text;
    events.push({ type: "delta", index: this.blocks.length - 1, kind, text });
    return events;
  }

  #close(): BlockEvent {
    const block = this.#open!;
    this.#open = null;
    return { type: "close", index: this.blocks.indexOf(block), block };
  }
}
