/** One engine generation seen from a route: abort wiring, shutdown tracking, timing, idle ticks. */
import type { Engine, EngineEvent, GenerateRequest } from "../engine/protocol.ts";
import { traceMark } from "../engine/trace.ts";
import type { Abortable, InflightRequests } from "./inflight.ts";

/** Returned by {@link Generation.next} when nothing arrived within the idle interval. */
export const IDLE = Symbol("idle");

/** Timing and token counts, read by the access log. */
export interface GenerationMetrics {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens served from the engine's prefix cache. */
  cachedTokens: number;
  /** Milliseconds from submit to the first text delta; null until then. */
  ttftMs: number | null;
  /** Milliseconds from submit to the end; null until then. */
  totalMs: number | null;
}

/**
 * Wraps `engine.submit` for one HTTP request. The engine's signal aborts when the client disconnects
 * (`clientSignal`), on {@link abort}, or on shutdown.
 *
 * @example
 *   const gen = new Generation(engine, request, c.req.raw.signal, inflight);
 *   for (let r = await gen.next(5000); r !== null; r = await gen.next(5000)) { ... }
 */
export class Generation implements Abortable {
  readonly metrics: GenerationMetrics = { promptTokens: 0, completionTokens: 0, cachedTokens: 0, ttftMs: null, totalMs: null };
  readonly #controller = new AbortController();
  readonly #iterator: AsyncIterator<EngineEvent>;
  readonly #startedAt = performance.now();
  readonly #onClientAbort = () => this.abort("client disconnected");
  #pending: Promise<IteratorResult<EngineEvent>> | null = null;
  /** Tokens delivered in deltas: what an aborted generation, which never gets its finish or usage event, produced. */
  #deltaTokens = 0;
  #closed = false;
  #finished = false;

  constructor(
    engine: Engine,
    request: GenerateRequest,
    private readonly clientSignal: AbortSignal,
    private readonly inflight: InflightRequests,
  ) {
    if (clientSignal.aborted) this.#controller.abort("client disconnected");
    traceMark("gen.submit", request.requestId);
    // Registered only once submit returned: an engine that refuses the request synchronously leaves nothing behind.
    this.#iterator = engine.submit(request, this.#controller.signal)[Symbol.asyncIterator]();
    inflight.add(this);
    if (!clientSignal.aborted) clientSignal.addEventListener("abort", this.#onClientAbort, { once: true });
  }

  get aborted(): boolean {
    return this.#controller.signal.aborted;
  }

  abort(reason: string): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
  }

  /** The next event, null at the end, or {@link IDLE} after `idleMs` without one (the wait continues). */
  async next(idleMs?: number): Promise<EngineEvent | null | typeof IDLE> {
    this.#pending ??= this.#iterator.next();
    const pending = this.#pending;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const idle =
      idleMs === undefined
        ? null
        : new Promise<typeof IDLE>((resolve) => {
            timer = setTimeout(() => resolve(IDLE), idleMs);
          });
    try {
      const result = idle ? await Promise.race([pending, idle]) : await pending;
      if (result === IDLE) return IDLE;
      this.#pending = null;
      if (result.done) {
        this.#finished = true;
        return null;
      }
      this.#observe(result.value);
      return result.value;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the generation: aborts the engine if it is still running and releases the iterator. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.metrics.totalMs ??= performance.now() - this.#startedAt;
    // Ended early (client gone, shutdown, a timeout): the tokens it produced still count.
    this.metrics.completionTokens = Math.max(this.metrics.completionTokens, this.#deltaTokens);
    this.clientSignal.removeEventListener("abort", this.#onClientAbort);
    this.inflight.delete(this);
    if (!this.#finished) {
      this.abort("response closed");
      this.#iterator.return?.().catch(() => undefined);
    }
  }

  #observe(event: EngineEvent): void {
    if (event.type === "start") this.metrics.promptTokens = event.promptTokens;
    else if (event.type === "delta") {
      this.#deltaTokens += event.tokenIds.length;
      if (this.metrics.ttftMs === null && event.text.length + event.tokenIds.length > 0) {
        this.metrics.ttftMs = performance.now() - this.#startedAt;
      }
    } else if (event.type === "finish") this.metrics.completionTokens += event.completionTokens;
    else {
      this.metrics.promptTokens = event.promptTokens;
      this.metrics.completionTokens = event.completionTokens;
      this.metrics.cachedTokens = event.cachedTokens ?? 0;
      this.metrics.totalMs = performance.now() - this.#startedAt;
    }
  }
}
