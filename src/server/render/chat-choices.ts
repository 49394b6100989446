/** Turns engine events into chat choices: streamed chunk choices and the final non-streamed messages. */
import type { DeltaEvent, FinishEvent, FinishReason, TokenLogprob } from "../../engine/protocol.ts";
import { ChoiceDecoder, type ChoiceDecoderOptions, type DecodedEvent, type OutputToolCall } from "../parsers/choice-decoder.ts";
import { type ChatLogprobContent, chatLogprobs } from "./logprobs.ts";
import { PendingDelta } from "./pending.ts";

export type ChatFinishReason = "stop" | "length" | "tool_calls" | "abort";

/** One `delta.tool_calls` entry: the first for a call carries its id, type and name; later ones add arguments. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: "function";
  function: { name?: string; arguments: string };
}

export interface ChatDelta {
  role?: "assistant";
  content?: string;
  reasoning_content?: string;
  reasoning?: string;
  tool_calls?: ToolCallDelta[];
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
    const delta = this.#record(state, state.decoder.push(text), logprobs);
    if (Object.keys(delta).length === 0 && logprobs.length === 0) return null;
    return { index: event.index, delta, logprobs: this.#chunkLogprobs(logprobs), finish_reason: null };
  }

  /** Flushes the choice and returns its last chunk choice, carrying `finish_reason`. */
  finish(event: FinishEvent): ChatChunkChoice {
    const state = this.#state(event.index);
    const { text, logprobs } = state.pending.take();
    const delta = this.#record(state, [...state.decoder.push(text), ...state.decoder.finish()], logprobs);
    state.finishReason = chatFinishReason(event.finishReason, state.decoder.calledTools);
    return {
      index: event.index,
      delta,
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

  /** Adds a step's events to the choice and returns them as one chunk delta. */
  #record(state: ChoiceState, events: DecodedEvent[], logprobs: TokenLogprob[]): ChatDelta {
    state.logprobs.push(...logprobs);
    const delta = toDelta(events);
    state.content += delta.content ?? "";
    state.reasoning += delta.reasoning_content ?? "";
    for (const event of events) if (event.type === "tool_start") state.toolCalls.push(event.call);
    return delta;
  }

  #chunkLogprobs(logprobs: TokenLogprob[]): ChatChunkChoice["logprobs"] {
    return this.withLogprobs && logprobs.length > 0 ? { content: chatLogprobs(logprobs) } : null;
  }
}

/** One step's events as a chunk delta: text joined, each call's start and argument pieces merged per index. */
function toDelta(events: DecodedEvent[]): ChatDelta {
  let reasoning = "";
  let content = "";
  const calls: ToolCallDelta[] = [];
  for (const event of events) {
    if (event.type === "reasoning") reasoning += event.text;
    else if (event.type === "content") content += event.text;
    else if (event.type === "tool_start") {
      const { index, id, type, function: fn } = event.call;
      calls.push({ index, id, type, function: { name: fn.name, arguments: "" } });
    } else if (event.type === "tool_arguments") {
      const last = calls.at(-1);
      if (last?.index === event.index) last.function.arguments += event.text;
      else calls.push({ index: event.index, function: { arguments: event.text } });
    }
  }
  const delta: ChatDelta = {};
  if (reasoning !== "") {
    delta.reasoning_content = reasoning;
    delta.reasoning = reasoning;
  }
  if (content !== "") delta.content = content;
  if (calls.length > 0) delta.tool_calls = calls;
  return delta;
}
