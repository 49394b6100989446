/** Stop strings over streamed text: trims the first match and holds back text that may begin one. */

/** What {@link StopStringMatcher.push} releases. */
export interface StopMatch {
  /** Text safe to emit now. */
  text: string;
  /** A stop string matched; `text` ends right before it and nothing more will be released. */
  stopped: boolean;
  /** The stop string that matched, when `stopped` by this push. */
  stop?: string;
}

/** Length of the longest suffix of `text` that is a proper prefix of some stop string. */
function partialStopLength(text: string, stops: readonly string[]): number {
  let longest = 0;
  for (const stop of stops) {
    const max = Math.min(stop.length - 1, text.length);
    for (let len = max; len > longest; len--) {
      if (text.endsWith(stop.slice(0, len))) {
        longest = len;
        break;
      }
    }
  }
  return longest;
}

/**
 * Finds stop strings across deltas. Text that could be the start of a stop string is held back until the
 * next delta settles it; the stop string and anything after it are dropped.
 *
 * @example
 *   const m = new StopStringMatcher(["\nUser:"]);
 *   m.push("Hi\nUs");   // { text: "Hi", stopped: false }
 *   m.push("er: x");    // { text: "", stopped: true }
 */
export class StopStringMatcher {
  readonly #stops: string[];
  #held = "";
  #stopped = false;

  constructor(stops: readonly string[]) {
    this.#stops = stops.filter((s) => s.length > 0);
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  push(delta: string): StopMatch {
    if (this.#stopped) return { text: "", stopped: true };
    if (this.#stops.length === 0) return { text: delta, stopped: false };
    const text = this.#held + delta;
    let cut = -1;
    let matched = "";
    for (const stop of this.#stops) {
      const at = text.indexOf(stop);
      if (at !== -1 && (cut === -1 || at < cut)) [cut, matched] = [at, stop];
    }
    if (cut !== -1) {
      this.#stopped = true;
      this.#held = "";
      return { text: text.slice(0, cut), stopped: true, stop: matched };
    }
    const hold = partialStopLength(text, this.#stops);
    this.#held = text.slice(text.length - hold);
    return { text: text.slice(0, text.length - hold), stopped: false };
  }

  /** Releases held-back text at the end of generation. */
  flush(): string {
    const text = this.#stopped ? "" : this.#held;
    this.#held = "";
    return text;
  }
}
