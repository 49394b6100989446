/** Per-choice output pipeline for chat: reasoning split, then tool-call parsing, as ordered events. */
import type { ReasoningTags, ToolCallFormat, ToolDefinition } from "../../engine/protocol.ts";
import { ReasoningSplitter } from "./reasoning.ts";
import type { ToolCallParser, ToolEvent } from "./tool-call.ts";
import { createToolParser } from "./registry.ts";

/** A tool call as it goes out in a response; `arguments` grows while the call streams. */
export interface OutputToolCall {
  index: number;
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** What one step releases for one choice, in output order. A call opens, gets argument pieces, then ends. */
export type DecodedEvent =
  | { type: "reasoning"; text: string }
  | { type: "content"; text: string }
  | { type: "tool_start"; call: OutputToolCall }
  | { type: "tool_arguments"; index: number; text: string }
  | { type: "tool_end"; index: number };

export interface ChoiceDecoderOptions {
  reasoning?: ReasoningTags;
  promptOpensReasoning: boolean;
  /** "none" (or no tools in the request) disables tool parsing. */
  toolCallFormat: ToolCallFormat;
  parallelToolCalls: boolean;
  /** The request's tools, for formats that convert arguments by their schema (qwen3_coder). */
  tools?: ToolDefinition[];
}

function newCallId(): string {
  return `call_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
}

/**
 * Turns one choice's raw text deltas into reasoning, content and streamed tool calls.
 *
 * @example
 *   const d = new ChoiceDecoder({ toolCallFormat: "hermes", promptOpensReasoning: false, parallelToolCalls: true });
 *   d.push("Hi"); d.finish(); d.calledTools // false
 */
export class ChoiceDecoder {
  readonly #reasoning: ReasoningSplitter | null;
  readonly #tools: ToolCallParser | null;
  readonly #parallel: boolean;
  #callCount = 0;
  /** The call being streamed, or "dropped" while a call past the first is skipped (parallel calls off). */
  #open: OutputToolCall | "dropped" | null = null;

  constructor(options: ChoiceDecoderOptions) {
    this.#reasoning = options.reasoning ? new ReasoningSplitter(options.reasoning, options.promptOpensReasoning) : null;
    this.#tools = createToolParser(options.toolCallFormat, options.tools ? { tools: options.tools } : {});
    this.#parallel = options.parallelToolCalls;
  }

  /** True once at least one tool call was released. */
  get calledTools(): boolean {
    return this.#callCount > 0;
  }

  push(text: string): DecodedEvent[] {
    const split = this.#reasoning ? this.#reasoning.push(text) : { reasoning: "", content: text };
    return this.#toolStep(split.reasoning, split.content, false);
  }

  finish(): DecodedEvent[] {
    const split = this.#reasoning ? this.#reasoning.flush() : { reasoning: "", content: "" };
    return this.#toolStep(split.reasoning, split.content, true);
  }

  #toolStep(reasoning: string, content: string, final: boolean): DecodedEvent[] {
    const out: DecodedEvent[] = reasoning === "" ? [] : [{ type: "reasoning", text: reasoning }];
    if (!this.#tools) {
      if (content !== "") out.push({ type: "content", text: content });
      return out;
    }
    const events = this.#tools.push(content);
    if (final) events.push(...this.#tools.flush());
    for (const event of events) this.#map(event, out);
    return out;
  }

  #map(event: ToolEvent, out: DecodedEvent[]): void {
    if (event.type === "content" || event.type === "reasoning") {
      out.push({ type: event.type, text: event.text });
      return;
    }
    if (event.type === "call") {
      if (!this.#parallel && this.#callCount > 0) {
        this.#open = "dropped";
        return;
      }
      const call: OutputToolCall = { index: this.#callCount++, id: newCallId(), type: "function", function: { name: event.name, arguments: "" } };
      this.#open = call;
      out.push({ type: "tool_start", call });
      return;
    }
    const open = this.#open;
    if (open === null || open === "dropped") {
      if (event.type === "end") this.#open = null;
      return;
    }
    if (event.type === "arguments") {
      open.function.arguments += event.text;
      out.push({ type: "tool_arguments", index: open.index, text: event.text });
    } else {
      this.#open = null;
      out.push({ type: "tool_end", index: open.index });
    }
  }
}

/**
 * Adds the request's tools to decoder options (Qwen3-Coder converts parameter values by their schema).
 *
 * @example
 *   const options = withTools(decoderOptions(body, info, first), request);
 */
export function withTools(options: ChoiceDecoderOptions, request: { kind: string; tools?: ToolDefinition[] }): ChoiceDecoderOptions {
  return request.kind === "chat" && request.tools ? { ...options, tools: request.tools } : options;
}
