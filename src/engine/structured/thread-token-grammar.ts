/**
 * A matcher that lives on the grammar thread, as the model thread's {@link TokenGrammar}. `acceptToken` checks
 * the token against the bitmask it was sampled under (in the shared buffer, no round trip), posts it and returns;
 * the grammar thread accepts it and writes the next bitmask while the model thread goes on. `fillNextTokenBitmask`
 * waits (Atomics.wait) only if that mask is not written yet, then copies it.
 */
import { FLAG_FAILED, FLAG_TERMINATED, H_DONE, H_FLAGS, H_MASKED, matcherViews } from "./grammar-protocol.ts";
import type { TokenGrammar } from "./token-grammar.ts";

/** What a matcher needs of its grammar thread. */
export interface GrammarThreadLink {
  /** The thread crashed or was closed: its matchers answer as ended. */
  readonly dead: boolean;
  /** Most ms to wait for an answer before the thread is taken as hung. */
  readonly waitTimeoutMs: number;
  accept(id: number, token: number): void;
  dispose(id: number): void;
  /** Counts the ms the model thread waited on the grammar thread. */
  recordWait(ms: number): void;
}

/** The grammar thread did not answer in time. */
export class GrammarThreadError extends Error {
  override name = "GrammarThreadError";
}

/**
 * @example
 *   const g = await grammarThread.create({ type: "json_object" }, [eos]); // a ThreadTokenGrammar
 *   g.fillNextTokenBitmask(bitmask, 0); // sample under it, then
 *   g.acceptToken(token);
 */
export class ThreadTokenGrammar implements TokenGrammar {
  readonly #link: GrammarThreadLink;
  readonly #id: number;
  readonly #header: Int32Array;
  readonly #mask: Int32Array;
  /** Accepts posted to the grammar thread. */
  #posted = 0;
  #disposed = false;

  constructor(link: GrammarThreadLink, id: number, shared: SharedArrayBuffer) {
    this.#link = link;
    this.#id = id;
    ({ header: this.#header, mask: this.#mask } = matcherViews(shared));
  }

  fillNextTokenBitmask(out: Int32Array, offset: number): void {
    if (this.#disposed) throw new Error("the grammar was disposed");
    if (!this.#waitFor(H_MASKED, this.#posted + 1)) return; // the thread is gone: the request is being failed
    out.set(this.#mask, offset);
  }

  /**
   * True when the bitmask of the current state allows `token` (xgrammar's mask is exactly what it accepts): the
   * accept itself runs on the grammar thread. A rejection there (never seen) marks the grammar failed, and the
   * next call answers false.
   */
  acceptToken(token: number): boolean {
    if (this.#disposed) throw new Error("the grammar was disposed");
    if (!this.#waitFor(H_MASKED, this.#posted + 1)) return false;
    if ((Atomics.load(this.#header, H_FLAGS) & (FLAG_TERMINATED | FLAG_FAILED)) !== 0) return false;
    const word = token >>> 5;
    if (!Number.isInteger(token) || token < 0 || word >= this.#mask.length) return false;
    if (((this.#mask[word]! >>> (token & 31)) & 1) === 0) return false;
    this.#posted++;
    this.#link.accept(this.#id, token);
    return true;
  }

  /** Ended by a stop token; also true once the grammar failed or its thread is gone (the row then goes unmasked). */
  isTerminated(): boolean {
    if (this.#disposed || !this.#waitFor(H_DONE, this.#posted)) return true;
    return (Atomics.load(this.#header, H_FLAGS) & (FLAG_TERMINATED | FLAG_FAILED)) !== 0;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (!this.#link.dead) this.#link.dispose(this.#id);
  }

  /** Waits until header word `index` reaches `target`; false when the thread is gone. */
  #waitFor(index: number, target: number): boolean {
    if (this.#link.dead) return false;
    if (Atomics.load(this.#header, index) >= target) return true;
    const t0 = performance.now();
    const deadline = t0 + this.#link.waitTimeoutMs;
    try {
      for (let v = Atomics.load(this.#header, index); v < target; v = Atomics.load(this.#header, index)) {
        const left = deadline - performance.now();
        if (left <= 0) throw new GrammarThreadError(`the grammar thread did not answer in ${this.#link.waitTimeoutMs} ms`);
        Atomics.wait(this.#header, index, v, Math.min(left, 100));
      }
    } finally {
      this.#link.recordWait(performance.now() - t0);
    }
    return true;
  }
}
