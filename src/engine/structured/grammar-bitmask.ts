/** The grammar bitmask of one step, built on the host while the device runs the step's forward. */
import { bitmaskWords } from "../sampling/token-bitmask.ts";
import type { TokenGrammar } from "./token-grammar.ts";

/** Masks built and the host milliseconds they took (for benchmarks). */
export interface MaskStats {
  masks: number;
  hostMs: number;
  /**
   * Host ms from a mask's start to its masked sample queued (masks, mask and sampler graphs, their async_eval).
   */
  sampleMs: number;
}

/**
 * @example
 *   const masks = new GrammarBitmasks();
 *   const bitmask = masks.build([grammarOfRow0, null], logits.shape[1]!); // row 1 unconstrained
 *   sampleAsync(logits, rows, samplingRows, arrays, bitmask);
 */
export class GrammarBitmasks {
  readonly #stats: MaskStats = { masks: 0, hostMs: 0, sampleMs: 0 };
  /** The host buffer, reused from step to step (it grows with the batch). */
  #buffer = new Int32Array(0);

  /**
   * Rows x ceil(V/32) int32 words: each row's allowed next tokens, all ones for a row without a grammar (null)
   * or whose grammar has ended. The array is a view of a buffer that the next `build` overwrites: hand it to the
   * device (`applyTokenBitmask` copies it) before building again.
   */
  build(grammars: readonly (TokenGrammar | null)[], vocabSize: number): Int32Array {
    const t0 = performance.now();
    const W = bitmaskWords(vocabSize);
    const n = grammars.length * W;
    if (this.#buffer.length < n) this.#buffer = new Int32Array(n);
    const bitmask = this.#buffer.subarray(0, n).fill(-1);
    grammars.forEach((g, j) => {
      if (g && !g.isTerminated()) g.fillNextTokenBitmask(bitmask, j * W);
    });
    this.#stats.masks++;
    this.#stats.hostMs += performance.now() - t0;
    return bitmask;
  }

  /** Counts the host time of queueing one masked sample, its mask included (`sampleMs`). */
  recordSample(ms: number): void {
    this.#stats.sampleMs += ms;
  }

  get stats(): MaskStats {
    return { ...this.#stats };
  }
}
