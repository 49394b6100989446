/** Streaming detokenization: text deltas per generated token, equal in sum to the full decode. */
import type { ModelTokenizer } from "./model-tokenizer.ts";

/** Options of {@link IncrementalDetokenizer}. */
export interface DetokenizerOptions {
  /** Drop special tokens from the text (default false). */
  skipSpecialTokens?: boolean;
  /** Special tokens kept even with `skipSpecialTokens`. */
  keepSpecialTokenIds?: ReadonlySet<number>;
}

const REPLACEMENT_CHAR = "\uFFFD";

/**
 * Turns one sequence's token ids into text deltas. Each step decodes only a small window:
 * `ids[prefixOffset:]` against `ids[prefixOffset:readOffset]`; the difference is new text. Text that ends in
 * U+FFFD (a multi-byte character split across tokens) is held back until the character completes or
 * {@link flush} is called. The deltas concatenate to exactly `tokenizer.decode(allIds)`.
 *
 * @example
 *   const detok = new IncrementalDetokenizer(tok, {skipSpecialTokens: true});
 *   for (const id of generated) process.stdout.write(detok.push(id));
 *   process.stdout.write(detok.flush());
 */
export class IncrementalDetokenizer {
  readonly #tokenizer: ModelTokenizer;
  readonly #skipSpecialTokens: boolean;
  readonly #keep: ReadonlySet<number> | undefined;
  readonly #ids: number[] = [];
  #prefixOffset = 0;
  #readOffset = 0;
  #prefixText = "";
  #text = "";

  constructor(tokenizer: ModelTokenizer, options: DetokenizerOptions = {}) {
    this.#tokenizer = tokenizer;
    this.#skipSpecialTokens = options.skipSpecialTokens ?? false;
    this.#keep = options.keepSpecialTokenIds;
  }

  /** All text emitted so far. */
  get text(): string {
    return this.#text;
  }

  /** Ids pushed so far (special tokens included even when skipped from the text). */
  get numTokens(): number {
    return this.#ids.length;
  }

  #decodeFrom(start: number, end: number): string {
    return this.#tokenizer.decode(this.#ids.slice(start, end), {
      skipSpecialTokens: this.#skipSpecialTokens,
      ...(this.#keep ? { keepSpecialTokenIds: this.#keep } : {}),
    });
  }

  #emit(fullWindowText: string): string {
    const delta = fullWindowText.slice(this.#prefixText.length);
    this.#prefixOffset = this.#readOffset;
    this.#readOffset = this.#ids.length;
    this.#prefixText = this.#decodeFrom(this.#prefixOffset, this.#readOffset);
    this.#text += delta;
    return delta;
  }

  /** Adds one generated token; returns the newly completed text (often "", never a partial character). */
  push(tokenId: number): string {
    // A model's embedding often has more rows than its tokenizer has tokens (padding ids); such ids carry no text.
    if (!Number.isInteger(tokenId) || tokenId < 0 || tokenId >= this.#tokenizer.vocabSize) return "";
    this.#ids.push(tokenId);
    const windowText = this.#decodeFrom(this.#prefixOffset, this.#ids.length);
    if (windowText.length <= this.#prefixText.length || windowText.endsWith(REPLACEMENT_CHAR)) return "";
    return this.#emit(windowText);
  }

  /** Returns any held-back text (e.g. a trailing U+FFFD of an unfinished character). Call once at the end. */
  flush(): string {
    if (this.#readOffset === this.#ids.length) return "";
    const windowText = this.#decodeFrom(this.#prefixOffset, this.#ids.length);
    if (windowText.length <= this.#prefixText.length) {
      this.#readOffset = this.#ids.length;
      return "";
    }
    return this.#emit(windowText);
  }
}
