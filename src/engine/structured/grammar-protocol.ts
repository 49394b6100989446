/**
 * What the model thread and the grammar thread say to each other. Requests go by `postMessage` (in order: a
 * matcher's accepts, its disposal and new compiles never overtake each other); each matcher's answers (its state
 * and its next bitmask) come back in a SharedArrayBuffer of its own, which the model thread reads with `Atomics`.
 */
import type { StructuredOutputSpec } from "./spec.ts";
import type { GrammarVocab } from "./vocab.ts";

export type ToGrammarThread =
  /** Builds the vocabulary's token table; the thread answers `ready` or `init-failed`. */
  | { type: "init"; vocab: GrammarVocab; vocabSize: number; stopTokenIds?: number[] }
  /** Compiles (cached by spec) and makes matcher `id` over `shared`; answered by `created` or `create-failed`. */
  | { type: "create"; id: number; spec: StructuredOutputSpec; stopTokenIds: number[]; shared: SharedArrayBuffer }
  /** Advances matcher `id` past `token`, then writes its next bitmask into its shared buffer. */
  | { type: "accept"; id: number; token: number }
  | { type: "dispose"; id: number };

export type FromGrammarThread =
  | { type: "ready" }
  | { type: "init-failed"; message: string }
  | { type: "created"; id: number }
  /** `param` is set for a spec the client got wrong (a `StructuredOutputError`, a 400); else a fault. */
  | { type: "create-failed"; id: number; message: string; param?: string };

/** Header words of a matcher's shared buffer (Int32), then the bitmask at {@link MASK_BYTE_OFFSET}. */
export const H_DONE = 0; // accepts processed so far
export const H_MASKED = 1; // 1 + the accepts after which the bitmask in the buffer was written
export const H_FLAGS = 2; // FLAG_* of the state after the last processed accept
export const HEADER_WORDS = 4;
export const MASK_BYTE_OFFSET = HEADER_WORDS * 4;

/** The grammar accepted a stop token: it has ended. */
export const FLAG_TERMINATED = 1;
/** The grammar rejected a token (or the matcher failed): the sequence cannot go on. */
export const FLAG_FAILED = 2;

/** A matcher's shared buffer: header then `words` bitmask words. */
export function matcherBuffer(words: number): SharedArrayBuffer {
  return new SharedArrayBuffer(MASK_BYTE_OFFSET + words * 4);
}

/** The header and bitmask views of a matcher's shared buffer. */
export function matcherViews(shared: SharedArrayBuffer): { header: Int32Array; mask: Int32Array } {
  return { header: new Int32Array(shared, 0, HEADER_WORDS), mask: new Int32Array(shared, MASK_BYTE_OFFSET) };
}
