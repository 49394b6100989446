/**
 * The run / sleep / shutdown state a worker loop keeps between messages, shared by the engine's and the
 * pooling engine's loops: `handle` calls {@link LoopGate.notify} after every message, the stepping loop
 * sleeps on {@link LoopGate.sleep} while idle, and `shutdown` posts `closed` now or when the loop ends.
 */
export class LoopGate {
  #closing = false;
  #running = false;
  #wake: (() => void) | null = null;

  /** Shutdown was asked for: the stepping loop ends at its next turn. */
  get closing(): boolean {
    return this.#closing;
  }

  /** Marks the stepping loop as started (true) or ended (false). */
  setRunning(running: boolean): void {
    this.#running = running;
  }

  /** Asks the loop to end. True when it is not running, so the caller posts `closed` itself. */
  close(): boolean {
    this.#closing = true;
    return !this.#running;
  }

  /** Wakes a sleeping loop. */
  notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Waits for a message (true) or `ms` (false; null waits only for a message). */
  sleep(ms: number | null): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = ms === null ? null : setTimeout(() => {
        this.#wake = null;
        resolve(false);
      }, ms);
      this.#wake = () => {
        if (timer) clearTimeout(timer);
        resolve(true);
      };
    });
  }
}

/**
 * Lets queued messages (adds, aborts) run before the next step. setImmediate, not setTimeout(0): Bun's zero
 * timeout waits ~1 ms, as long as a whole decode step on a GPU.
 */
export function yieldToMessages(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
