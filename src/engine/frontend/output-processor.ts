/**
 * A request's TokenOutputs -> protocol events: detokenization, stop strings, logprobs, finish and usage. The core
 * ends a choice on a token (stop token, length); a stop string is text, so it is found here, and the engine then
 * aborts that choice in the core.
 */
import { IncrementalDetokenizer, type ModelTokenizer } from "../../tokenizer/index.ts";
import type { TokenOutput } from "../engine-core/core-types.ts";
import type { DeltaEvent, EngineEvent, FinishEvent, FinishReason } from "../protocol.ts";
import { StopStringMatcher } from "./stop-strings.ts";
import type { TokenTextCache } from "./token-text.ts";

interface ChoiceState {
  detokenizer: IncrementalDetokenizer;
  stops: StopStringMatcher;
  completionTokens: number;
  finishReason: FinishReason | null;
}

export interface OutputProcessorOptions {
  n: number;
  stop: readonly string[];
  logprobs: boolean;
  promptTokens: number;
  /** Special tokens kept in the text: the tool-call format's markers, for the server's parser to see. */
  keepSpecialTokenIds?: ReadonlySet<number>;
}

/**
 * Turns one request's token outputs into `delta`, `finish` and `usage` events.
 *
 * @example
 *   const proc = new OutputProcessor(tok, cache, { n: 1, stop: ["\n\n"], logprobs: false, promptTokens: 12 });
 *   const events = proc.process(output, 0);
 *   if (proc.done) ...; // every choice finished: the last event was `usage`
 */
export class OutputProcessor {
  readonly #choices: ChoiceState[];
  readonly #options: OutputProcessorOptions;
  readonly #tokens: TokenTextCache;
  #usageSent = false;
  /** Prompt tokens served from the prefix cache, as choice 0's first output reports them (the prompt counts once). */
  #cachedTokens: number | null = null;

  constructor(tokenizer: ModelTokenizer, tokens: TokenTextCache, options: OutputProcessorOptions) {
    this.#options = options;
    this.#tokens = tokens;
    this.#choices = Array.from({ length: options.n }, () => ({
      detokenizer: new IncrementalDetokenizer(tokenizer, {
        skipSpecialTokens: true,
        ...(options.keepSpecialTokenIds ? { keepSpecialTokenIds: options.keepSpecialTokenIds } : {}),
      }),
      stops: new StopStringMatcher(options.stop),
      completionTokens: 0,
      finishReason: null,
    }));
  }

  /** Every choice finished and `usage` was emitted. */
  get done(): boolean {
    return this.#usageSent;
  }

  /** Sum of completion tokens over choices. */
  get completionTokens(): number {
    return this.#choices.reduce((sum, c) => sum + c.completionTokens, 0);
  }

  /** Whether choice `index` has finished (its core request may still run: a stop string ended it). */
  isFinished(index: number): boolean {
    return this.#choices[index]?.finishReason != null;
  }

  /** Events for one token output of choice `index`; outputs of finished choices (e.g. after a stop string) yield none. */
  process(output: TokenOutput, index: number): EngineEvent[] {
    const choice = this.#choices[index];
    if (!choice || choice.finishReason !== null) return [];
    if (index === 0) this.#cachedTokens ??= output.numCachedTokens;
    choice.completionTokens++;
    let text = choice.detokenizer.push(output.token);
    if (output.finishReason !== null) text += choice.detokenizer.flush();
    const match = choice.stops.push(text);
    if (!match.stopped && output.finishReason !== null) match.text += choice.stops.flush();
    const delta: DeltaEvent = { type: "delta", index, text: match.text, tokenIds: [output.token] };
    if (this.#options.logprobs && output.logprob !== null) {
      delta.logprobs = [this.#tokens.logprob(output.token, output.logprob, output.top)];
    }
    const events: EngineEvent[] = [delta];
    const reason: FinishReason | null = match.stopped ? "stop" : output.finishReason;
    if (reason !== null) events.push(...this.#finish(index, reason, match.stop));
    return events;
  }

  #finish(index: number, reason: FinishReason, stopString?: string): EngineEvent[] {
    const choice = this.#choices[index]!;
    choice.finishReason = reason;
    const finish: FinishEvent = { type: "finish", index, finishReason: reason, completionTokens: choice.completionTokens };
    if (stopString !== undefined) finish.stopString = stopString;
    if (this.#usageSent || this.#choices.some((c) => c.finishReason === null)) return [finish];
    this.#usageSent = true;
    const { promptTokens } = this.#options;
    return [finish, { type: "usage", promptTokens, completionTokens: this.completionTokens, cachedTokens: this.#cachedTokens ?? 0 }];
  }
}
