/** Turns engine events into legacy completion choices (streamed and final). */
import type { DeltaEvent, FinishEvent, FinishReason, TokenLogprob } from "../../engine/protocol.ts";
import { type CompletionLogprobs, completionLogprobs } from "./logprobs.ts";
import { PendingDelta } from "./pending.ts";

export interface CompletionChoice {
  index: number;
  text: string;
  logprobs: CompletionLogprobs | null;
  finish_reason: FinishReason | null;
}

interface ChoiceState {
  pending: PendingDelta;
  text: string;
  logprobs: TokenLogprob[];
  finishReason: FinishReason | null;
  echoed: boolean;
}

/**
 * Per-request state for `n` completion choices. With `echo`, the prompt text leads each choice.
 *
 * @example
 *   const choices = new CompletionChoices(1, 1, false, "");
 *   choices.delta(event); choices.finish(finishEvent); choices.results();
 */
export class CompletionChoices {
  readonly #states: ChoiceState[];

  constructor(
    n: number,
    interval: number,
    private readonly withLogprobs: boolean,
    private readonly echo: string,
  ) {
    this.#states = Array.from({ length: n }, () => ({
      pending: new PendingDelta(interval),
      text: "",
      logprobs: [],
      finishReason: null,
      echoed: false,
    }));
  }

  delta(event: DeltaEvent): CompletionChoice | null {
    const state = this.#state(event.index);
    state.pending.add(event);
    if (!state.pending.ready) return null;
    return this.#release(state, event.index, null);
  }

  finish(event: FinishEvent): CompletionChoice {
    const state = this.#state(event.index);
    state.finishReason = event.finishReason;
    return this.#release(state, event.index, event.finishReason);
  }

  /** Indexes of choices that have not received `finish` (the engine stopped early). */
  unfinished(): number[] {
    return this.#states.flatMap((state, index) => (state.finishReason === null ? [index] : []));
  }

  results(): CompletionChoice[] {
    return this.#states.map((state, index) => ({
      index,
      text: state.text,
      logprobs: this.withLogprobs ? completionLogprobs(state.logprobs, this.echo.length) : null,
      finish_reason: state.finishReason ?? "abort",
    }));
  }

  #release(state: ChoiceState, index: number, finishReason: FinishReason | null): CompletionChoice {
    const { text, logprobs } = state.pending.take();
    const offset = state.text.length + (state.echoed ? 0 : this.echo.length);
    const lead = state.echoed ? "" : this.echo;
    state.echoed = true;
    state.text += lead + text;
    state.logprobs.push(...logprobs);
    return {
      index,
      text: lead + text,
      logprobs: this.withLogprobs ? completionLogprobs(logprobs, offset) : null,
      finish_reason: finishReason,
    };
  }

  #state(index: number): ChoiceState {
    const state = this.#states[index];
    if (!state) throw new Error(`engine sent choice index ${index} for n=${this.#states.length}`);
    return state;
  }
}
