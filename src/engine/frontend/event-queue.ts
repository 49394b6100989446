/** A push-to-pull bridge: the worker's messages push events, the server's `for await` pulls them. */

/**
 * An unbounded async queue of values that ends normally or with an error.
 *
 * @example
 *   const q = new EventQueue<number>(); q.push(1); q.end();
 *   for await (const v of q) console.log(v); // 1
 */
export class EventQueue<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #ended = false;
  #error: unknown = undefined;
  #wake: (() => void) | null = null;

  get ended(): boolean {
    return this.#ended;
  }

  push(...items: T[]): void {
    if (this.#ended) return;
    this.#items.push(...items);
    this.#notify();
  }

  /** Ends the stream after the queued items; with `error`, the consumer's loop throws it. */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      if (this.#items.length > 0) {
        yield this.#items.shift()!;
        continue;
      }
      if (this.#ended) {
        if (this.#error !== undefined) throw this.#error;
        return;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }
}
