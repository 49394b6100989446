/** Turns engine events into chat choices: streamed chunk choices and the final non-streamed messages. */
import type { DeltaEvent, FinishEvent, FinishReason, TokenLogprob } from "../../engine/protocol.ts";
import { ChoiceDecoder, type ChoiceDecoderOptions, type DecodedPiece, type OutputToolCall } from "../parsers/choice-decoder.ts";
import { type ChatLogprobContent, chatLogprobs } from "./logprobs.ts";
import { PendingDelta } from "./pending.ts";

export type ChatFinishReason = "stop" | "length" | "tool_calls" | "abort";

export interface ChatDelta {
  role?: "assistant";
  content?: string;
  reasoning_content?: string;
  reasoning?: string;
  tool_calls?: OutputToolCall[];
}

export interface ChatChunkChoice {
  index: number;
  delta: ChatDelta;
  logprobs: { content: ChatLogprobContent[] } | null;
  finish_reason: ChatFinishReason | null;
}

export interface ChatResultChoice {
  index: number;
  message: {
    role: "assistant";
    content: string | null;
    reasoning_content?: string;
    reasoning?: string;
    tool_calls?: OutputToolCall[];
  };
  logprobs: { content: ChatLogprobContent[] } | null;
  finish_reason: ChatFinishReason;
}

interface ChoiceState {
  decoder: ChoiceDecoder;
  pending: PendingDelta;
  content: string;
  reasoning: string;
  toolCalls: OutputToolCall[];
  logprobs: TokenLogprob[];
  finishReason: ChatFinishReason | null;
}

/** `finish_reason` for a choice: `tool_calls` replaces `stop` once a call was emitted. */
export function chatFinishReason(reason: FinishReason, calledTools: boolean): ChatFinishReason {
  return reason === "stop" && calledTools ? "tool_calls" : reason;
}

/**
 * Per-request state for `n` chat choices.
 *
 * @example
 *   const choices = new ChatChoices(1, options, 1, false);
 *   choices.delta(event); choices.finish(finishEvent); choices.results();
 */
export class ChatChoices {
  readonly #states: ChoiceState[];

  constructor(
    n: number,
    decoderOptions: ChoiceDecoderOptions,
    interval: number,
    private readonly withLogprobs: boolean,
  ) {
    this.#states = Array.from({ length: n }, () => ({
      decoder: new ChoiceDecoder(decoderOptions),
      pending: new PendingDelta(interval),
      content: "",
      reasoning: "",
      toolCalls: [],
      logprobs: [],
      finishReason: null,
    }));
  }

  /** The first chunk of each choice: `{ role: "assistant", content: "" }`. */
  roleChunks(): ChatChunkChoice[] {
    return this.#states.map((_, index) => ({
      index,
      delta: { role: "assistant", content: "" },
      logprobs: null,
      finish_reason: null,
    }));
  }

  /** Adds a delta; returns a chunk choice once the interval is reached and something is releasable. */
  delta(event: DeltaEvent): ChatChunkChoice | null {
    const state = this.#state(event.index);
    state.pending.add(event);
    if (!state.pending.ready) return null;
    const { text, logprobs } = state.pending.take();
    const piece = this.#record(state, state.decoder.push(text), logprobs);
    if (!hasDelta(piece) && logprobs.length === 0) return null;
    return { index: event.index, delta: toDelta(piece), logprobs: this.#chunkLogprobs(logprobs), finish_reason: null };
  }

  /** Flushes the choice and returns its last chunk choice, carrying `finish_reason`. */
  finish(event: FinishEvent): ChatChunkChoice {
    const state = this.#state(event.index);
    const { text, logprobs } = state.pending.take();
    const pushed = state.decoder.push(text);
    const flushed = state.decoder.finish();
    const piece: DecodedPiece = {
      reasoning: pushed.reasoning + flushed.reasoning,
      content: pushed.content + flushed.content,
      toolCalls: [...pushed.toolCalls, ...flushed.toolCalls],
    };
    this.#record(state, piece, logprobs);
    state.finishReason = chatFinishReason(event.finishReason, state.decoder.calledTools);
    return {
      index: event.index,
      delta: toDelta(piece),
      logprobs: this.#chunkLogprobs(logprobs),
      finish_reason: state.finishReason,
    };
  }

  /** Indexes of choices that have not received `finish` (the engine stopped early). */
  unfinished(): number[] {
    return this.#states.flatMap((state, index) => (state.finishReason === null ? [index] : []));
  }

  /** Final messages for a non-streamed response. */
  results(): ChatResultChoice[] {
    return this.#states.map((state, index) => {
      const message: ChatResultChoice["message"] = {
        role: "assistant",
        content: state.content === "" && state.toolCalls.length > 0 ? null : state.content,
      };
      if (state.reasoning !== "") {
        message.reasoning_content = state.reasoning;
        message.reasoning = state.reasoning;
      }
      if (state.toolCalls.length > 0) message.tool_calls = state.toolCalls;
      return {
        index,
        message,
        logprobs: this.withLogprobs ? { content: chatLogprobs(state.logprobs) } : null,
        finish_reason: state.finishReason ?? "abort",
      };
    });
  }

  #state(index: number): ChoiceState {
    const state = this.#states[index];
    if (!state) throw new Error(`engine sent choice index ${index} for n=${this.#states.length}`);
    return state;
  }

  #record(state: ChoiceState, piece: DecodedPiece, logprobs: TokenLogprob[]): DecodedPiece {
    state.content += piece.content;
    state.reasoning += piece.reasoning;
    state.toolCalls.push(...piece.toolCalls);
    state.logprobs.push(...logprobs);
    return piece;
  }

  #chunkLogprobs(logprobs: TokenLogprob[]): ChatChunkChoice["logprobs"] {
    return this.withLogprobs && logprobs.length > 0 ? { content: chatLogprobs(logprobs) } : null;
  }
}

function hasDelta(piece: DecodedPiece): boolean {
  return piece.content !== "" || piece.reasoning !== "" || piece.toolCalls.length > 0;
}

function toDelta(piece: DecodedPiece): ChatDelta {
  const delta: ChatDelta = {};
  if (piece.reasoning !== "") {
    delta.reasoning_content = piece.reasoning;
    delta.reasoning = piece.reasoning;
  }
  if (piece.content !== "") delta.content = piece.content;
  if (piece.toolCalls.length > 0) delta.tool_calls = piece.toolCalls;
  return delta;
}
