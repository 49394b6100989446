/** Per-choice output pipeline for chat: reasoning split, then tool-call parsing. */
import type { ReasoningTags, ToolCallFormat } from "../../engine/protocol.ts";
import { HermesToolParser } from "./hermes.ts";
import { Llama3JsonToolParser } from "./llama3-json.ts";
import { ReasoningSplitter } from "./reasoning.ts";
import type { ToolCallParser } from "./tool-call.ts";

/** A tool call as it goes out in a response or a `delta.tool_calls` entry. */
export interface OutputToolCall {
  index: number;
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** What one step releases for one choice. Empty strings mean "nothing". */
export interface DecodedPiece {
  reasoning: string;
  content: string;
  toolCalls: OutputToolCall[];
}

export interface ChoiceDecoderOptions {
  reasoning?: ReasoningTags;
  promptOpensReasoning: boolean;
  /** "none" (or no tools in the request) disables tool parsing. */
  toolCallFormat: ToolCallFormat;
  parallelToolCalls: boolean;
}

/** Builds the parser for a format, or null for "none". */
export function createToolParser(format: ToolCallFormat): ToolCallParser | null {
  if (format === "hermes") return new HermesToolParser();
  if (format === "llama3_json") return new Llama3JsonToolParser();
  return null;
}

function newCallId(): string {
  return `call_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
}

/**
 * Turns one choice's raw text deltas into reasoning, content and tool calls.
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

  constructor(options: ChoiceDecoderOptions) {
    this.#reasoning = options.reasoning ? new ReasoningSplitter(options.reasoning, options.promptOpensReasoning) : null;
    this.#tools = createToolParser(options.toolCallFormat);
    this.#parallel = options.parallelToolCalls;
  }

  /** True once at least one tool call was released. */
  get calledTools(): boolean {
    return this.#callCount > 0;
  }

  push(text: string): DecodedPiece {
    const split = this.#reasoning ? this.#reasoning.push(text) : { reasoning: "", content: text };
    return this.#toolStep(split.reasoning, split.content, false);
  }

  finish(): DecodedPiece {
    const split = this.#reasoning ? this.#reasoning.flush() : { reasoning: "", content: "" };
    return this.#toolStep(split.reasoning, split.content, true);
  }

  #toolStep(reasoning: string, content: string, final: boolean): DecodedPiece {
    if (!this.#tools) return { reasoning, content, toolCalls: [] };
    const step = this.#tools.push(content);
    if (final) {
      const rest = this.#tools.flush();
      step.content += rest.content;
      step.calls.push(...rest.calls);
    }
    const toolCalls: OutputToolCall[] = [];
    for (const call of step.calls) {
      if (!this.#parallel && this.#callCount > 0) break;
      toolCalls.push({ index: this.#callCount++, id: newCallId(), type: "function", function: call });
    }
    return { reasoning, content: step.content, toolCalls };
  }
}
