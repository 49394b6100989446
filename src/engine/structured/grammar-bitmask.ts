/** The grammar bitmask of one step, built on the host while the device runs the step's forward. */
import { bitmaskWords } from "../sampling/token-bitmask.ts";
import type { TokenGrammar } from "./token-grammar.ts";

/** Masks built and the host milliseconds they took (for benchmarks). */
export interface MaskStats {
  masks: number;
  hostMs: number;
  /** Host ms from a mask's start to its masked sample queued (masks, expand and sampler graphs, async_eval). */
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

  /**
   * Rows x ceil(V/32) int32 words: each row's allowed next tokens, all ones for a row without a grammar (null)
   * or whose grammar has ended.
   */
  build(grammars: readonly (TokenGrammar | null)[], vocabSize: number): Int32Array {
    const t0 = performance.now();
    const W = bitmaskWords(vocabSize);
    const bitmask = new Int32Array(grammars.length * W).fill(-1);
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
