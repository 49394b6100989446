/** Tracks running generations so shutdown can drain them, then abort the rest. */

export interface Abortable {
  abort(reason: string): void;
}

/**
 * The set of live generations of one app.
 *
 * @example
 *   const inflight = new InflightRequests();
 *   inflight.draining = true; await inflight.waitIdle(5000); inflight.abortAll("shutdown");
 */
export class InflightRequests {
  readonly #live = new Set<Abortable>();
  readonly #idleWaiters = new Set<() => void>();
  /** Set by shutdown: new generation requests get 503. */
  draining = false;

  get size(): number {
    return this.#live.size;
  }

  add(item: Abortable): void {
    this.#live.add(item);
  }

  delete(item: Abortable): void {
    this.#live.delete(item);
    if (this.#live.size === 0) for (const wake of this.#idleWaiters) wake();
  }

  /** Resolves true when nothing is live, false when `timeoutMs` passed first. */
  waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.#live.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#idleWaiters.delete(wake);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#idleWaiters.delete(wake);
        resolve(false);
      }, timeoutMs);
      this.#idleWaiters.add(wake);
    });
  }

  abortAll(reason: string): void {
    for (const item of [...this.#live]) item.abort(reason);
  }
}
