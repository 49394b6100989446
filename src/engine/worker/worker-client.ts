/** The HTTP thread's handle on the engine worker: spawning, messages, crash detection and shutdown. */
import type { EngineCoreRequest } from "../engine-core/core-types.ts";
import type { FromWorker, InitMessage, ToWorker } from "./worker-protocol.ts";
import { threadEntry } from "../thread-entry.ts";

/** Callbacks for what the worker reports. `onCrash` fires once when the worker dies without being asked. */
export interface WorkerClientHandlers {
  onMessage(message: FromWorker): void;
  onCrash(error: Error): void;
}

/**
 * Spawns the worker and sends it `init`.
 *
 * @example
 *   const client = new WorkerClient(init, { onMessage: (m) => ..., onCrash: (e) => ... });
 *   client.send({ type: "abort", requestId: "r1" });
 *   await client.close(5000);
 */
export class WorkerClient {
  readonly #worker: Worker;
  readonly #handlers: WorkerClientHandlers;
  #closed = false;
  #crashed = false;
  #onClosed: (() => void) | null = null;

  constructor(init: InitMessage, handlers: WorkerClientHandlers) {
    this.#handlers = handlers;
    this.#worker = new Worker(threadEntry("./src/engine/worker/worker.ts", "./worker.ts", import.meta.url));
    this.#worker.onmessage = (event: MessageEvent<FromWorker>) => {
      if (event.data.type === "closed") this.#onClosed?.();
      else this.#handlers.onMessage(event.data);
    };
    this.#worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#crash(new Error(`engine worker failed: ${event.message || "unknown error"}`));
    };
    this.#worker.addEventListener("close", () => {
      if (!this.#closed) this.#crash(new Error("engine worker exited unexpectedly"));
    });
    this.send(init);
  }

  #crash(error: Error): void {
    if (this.#crashed || this.#closed) return;
    this.#crashed = true;
    this.#worker.terminate();
    this.#handlers.onCrash(error);
  }

  send(message: ToWorker): void {
    if (!this.#closed && !this.#crashed) this.#worker.postMessage(message);
  }

  add(request: EngineCoreRequest): void {
    this.send({ type: "add", request });
  }

  abort(requestId: string): void {
    this.send({ type: "abort", requestId });
  }

  /** Asks the worker to stop after its current step; terminates it after `timeoutMs` regardless. */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.#closed) return;
    const closed = new Promise<void>((resolve) => {
      this.#onClosed = resolve;
    });
    this.send({ type: "shutdown" });
    this.#closed = true;
    await Promise.race([closed, Bun.sleep(timeoutMs)]);
    this.#worker.terminate();
  }
}
