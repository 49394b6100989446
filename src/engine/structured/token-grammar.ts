/** A sequence's grammar state as the engine core drives it: next-token bitmask, accept, terminated. */
import type { GrammarMatcher } from "./xgrammar.ts";

/**
 * What the engine core needs of a constrained sequence. The core stays free of the grammar engine; tests may
 * drive it with any implementation.
 */
export interface TokenGrammar {
  /** Writes the bitmask of tokens allowed next (ceil(V/32) int32 words) into `out` at `offset`. */
  fillNextTokenBitmask(out: Int32Array, offset: number): void;
  /** Advances past a sampled token; false when the grammar rejects it. */
  acceptToken(token: number): boolean;
  /** The grammar reached its end (a stop token was accepted). */
  isTerminated(): boolean;
  dispose(): void;
}

/**
 * xgrammar's matcher as a {@link TokenGrammar}.
 *
 * @example
 *   const g = new XgrammarTokenGrammar(compiler.matcher(await compiler.compile({ type: "json_object" })));
 */
export class XgrammarTokenGrammar implements TokenGrammar {
  #matcher: GrammarMatcher | null;

  constructor(matcher: GrammarMatcher) {
    this.#matcher = matcher;
  }

  fillNextTokenBitmask(out: Int32Array, offset: number): void {
    out.set(this.#live().getNextTokenBitmaskSync(), offset);
  }

  acceptToken(token: number): boolean {
    return this.#live().acceptToken(token);
  }

  isTerminated(): boolean {
    return this.#matcher === null || this.#matcher.isTerminated();
  }

  dispose(): void {
    this.#matcher?.dispose();
    this.#matcher = null;
  }

  #live(): GrammarMatcher {
    if (!this.#matcher) throw new Error("the grammar was disposed");
    return this.#matcher;
  }
}
