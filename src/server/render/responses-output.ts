/**
 * Output blocks as Responses API output items (`reasoning`, `message`, `function_call`) and stream events
 * (`response.output_item.added`, `response.content_part.added`, `response.*.delta`/`.done`,
 * `response.output_item.done`), numbered by one sequence counter per response.
 */
import type { BlockEvent, BlocksEnd, OutputBlock } from "./output-blocks.ts";

type Json = Record<string, unknown>;

function itemId(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().replaceAll("-", "")}`;
}

/** One output item, growing while it streams. */
interface ItemState {
  id: string;
  block: OutputBlock;
  text: string;
}

/** `status` and `incomplete_details` of a finished response. */
export function responseStatus(end: BlocksEnd | null): { status: "completed" | "incomplete"; incomplete_details: Json | null } {
  if (end?.reason === "length") return { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } };
  return { status: "completed", incomplete_details: null };
}

/**
 * Turns block events into Responses output items and events.
 *
 * @example
 *   const out = new ResponseOutput();
 *   for (const e of blocks.delta(delta)) for (const ev of out.events(e)) write(ev);
 *   out.items("completed") // [{ type: "message", ... }]
 */
export class ResponseOutput {
  readonly #items: ItemState[] = [];
  readonly #namespaces: ReadonlyMap<string, string>;
  #sequence = 0;

  /** `namespaces`: the namespace of each namespaced function tool, by name, for its calls' `namespace`. */
  constructor(namespaces: ReadonlyMap<string, string> = new Map()) {
    this.#namespaces = namespaces;
  }

  /** Stamps the next sequence number on an event. */
  stamp(event: Json): Json {
    return { ...event, sequence_number: this.#sequence++ };
  }

  /**
   * The stream events of one block event. `closeStatus`: the status an item closed by this event gets (`incomplete`
   * for the items the output limit cut, as the final `response.incomplete` lists them).
   */
  events(event: BlockEvent, closeStatus: "completed" | "incomplete" = "completed"): Json[] {
    if (event.type === "open") return this.#open(event.block).map((e) => this.stamp(e));
    const state = this.#items[event.index]!;
    if (event.type === "close") return this.#close(event.index, state, closeStatus).map((e) => this.stamp(e));
    if (event.text === "") return [];
    state.text += event.text;
    const at = { item_id: state.id, output_index: event.index };
    if (event.kind === "tool") return [this.stamp({ type: "response.function_call_arguments.delta", ...at, delta: event.text })];
    if (event.kind === "thinking") return [this.stamp({ type: "response.reasoning_text.delta", ...at, content_index: 0, delta: event.text })];
    return [this.stamp({ type: "response.output_text.delta", ...at, content_index: 0, delta: event.text, logprobs: [] })];
  }

  /** Tracks a block without streaming it (non-streamed responses). */
  record(event: BlockEvent): void {
    if (event.type === "open") this.#items.push({ id: this.#newId(event.block), block: event.block, text: "" });
    else if (event.type === "delta") this.#items[event.index]!.text += event.text;
  }

  /** The output items, every one with `status`. */
  items(status: "completed" | "incomplete"): Json[] {
    return this.#items.map((state) => itemJson(state, status, this.#namespaces));
  }

  #newId(block: OutputBlock): string {
    return itemId(block.kind === "tool" ? "fc" : block.kind === "thinking" ? "rs" : "msg");
  }

  #open(block: OutputBlock): Json[] {
    const state: ItemState = { id: this.#newId(block), block, text: "" };
    const outputIndex = this.#items.push(state) - 1;
    const added = { type: "response.output_item.added", output_index: outputIndex, item: itemJson(state, "in_progress", this.#namespaces, true) };
    if (block.kind === "tool") return [added];
    const part = block.kind === "text" ? { type: "output_text", text: "", annotations: [], logprobs: [] } : { type: "reasoning_text", text: "" };
    return [added, { type: "response.content_part.added", item_id: state.id, output_index: outputIndex, content_index: 0, part }];
  }

  #close(outputIndex: number, state: ItemState, status: "completed" | "incomplete"): Json[] {
    const at = { item_id: state.id, output_index: outputIndex };
    const done = { type: "response.output_item.done", output_index: outputIndex, item: itemJson(state, status, this.#namespaces) };
    if (state.block.kind === "tool") {
      const call = state.block.call.function;
      return [{ type: "response.function_call_arguments.done", ...at, name: call.name, arguments: call.arguments }, done];
    }
    if (state.block.kind === "thinking") {
      const part = { type: "reasoning_text", text: state.text };
      return [
        { type: "response.reasoning_text.done", ...at, content_index: 0, text: state.text },
        { type: "response.content_part.done", ...at, content_index: 0, part },
        done,
      ];
    }
    const part = { type: "output_text", text: state.text, annotations: [], logprobs: [] };
    return [
      { type: "response.output_text.done", ...at, content_index: 0, text: state.text, logprobs: [] },
      { type: "response.content_part.done", ...at, content_index: 0, part },
      done,
    ];
  }
}

function itemJson(state: ItemState, status: string, namespaces: ReadonlyMap<string, string>, empty = false): Json {
  const { block, id } = state;
  if (block.kind === "tool") {
    const call = block.call;
    const namespace = namespaces.get(call.function.name);
    return {
      type: "function_call", id, call_id: call.id, name: call.function.name, ...(namespace === undefined ? {} : { namespace }),
      arguments: empty ? "" : call.function.arguments, status,
    };
  }
  if (block.kind === "thinking") {
    return { type: "reasoning", id, summary: [], content: empty ? [] : [{ type: "reasoning_text", text: state.text }], status };
  }
  const content = empty ? [] : [{ type: "output_text", text: state.text, annotations: [], logprobs: [] }];
  return { type: "message", id, role: "assistant", status, content };
}
