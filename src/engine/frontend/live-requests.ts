/**
 * The requests the frontend is streaming: each one's event queue, output processor and choices (its
 * `ParentRequest`), keyed by its core id, with every choice's core request id leading back to it.
 */
import type { EngineCoreRequest, FailureKind, TokenOutput } from "../engine-core/core-types.ts";
import { CapacityError, type EngineEvent, InvalidRequestError } from "../protocol.ts";
import type { EventQueue } from "./event-queue.ts";
import type { OutputProcessor } from "./output-processor.ts";
import type { ParentRequest } from "./parent-request.ts";
import { TRACING, traceMark } from "../trace.ts";

/** The generation failed inside the engine (a model error or a worker crash). The server answers 500. */
export class EngineFailedError extends Error {
  override readonly name = "EngineFailedError";
}

export interface LiveRequest {
  queue: EventQueue<EngineEvent>;
  processor: OutputProcessor;
  /** The core requests of its choices (n > 1 fans out). */
  parent: ParentRequest;
}

/** Where core requests go: the worker client (it is replaced when the worker restarts). */
export interface CoreLink {
  add(request: EngineCoreRequest): void;
  abort(requestId: string): void;
}

/**
 * @example
 * const live = new LiveRequests(() => client);
 * live.open(coreId, { queue, processor, parent });
 * // worker messages: live.onOutput(output); live.fail(live.owners(ids), message, kind);
 */
export class LiveRequests {
  readonly #live = new Map<string, LiveRequest>();
  /** Core request id -> the live request it is a choice of. */
  readonly #childOf = new Map<string, string>();
  /** Tracing only: the requests whose text has started. */
  readonly #texted = new Set<string>();

  constructor(readonly core: () => CoreLink) {}

  get size(): number {
    return this.#live.size;
  }

  ids(): string[] {
    return [...this.#live.keys()];
  }

  /** Registers a request; its choices reach the core with {@link start}. */
  open(coreId: string, live: LiveRequest): void {
    this.#live.set(coreId, live);
    for (const childId of live.parent.childIds) this.#childOf.set(childId, coreId);
  }

  /** Sends the request's first choices to the core. */
  start(coreId: string): void {
    const live = this.#live.get(coreId);
    if (!live) return;
    for (const child of live.parent.start()) {
      traceMark("eng.add", child.requestId);
      this.core().add(child);
    }
  }

  /** The live requests that the core requests `childIds` belong to. */
  owners(childIds: readonly string[]): string[] {
    return [...new Set(childIds.map((id) => this.#childOf.get(id)).filter((id) => id !== undefined))];
  }

  /** One token of one choice: the choices it releases go to the core, its events to the stream. */
  onOutput(output: TokenOutput): void {
    const coreId = this.#childOf.get(output.requestId);
    const live = coreId === undefined ? undefined : this.#live.get(coreId);
    if (!live || coreId === undefined) return;
    if (live.processor.completionTokens === 0) traceMark("eng.out", output.requestId);
    const { index, release } = live.parent.route(output);
    for (const child of release) this.core().add(child);
    try {
      const events = live.processor.process(output, index);
      if (TRACING) this.#traceText(coreId, events, live.processor.completionTokens);
      live.queue.push(...events);
    } catch (e) {
      // A failure while turning tokens into text ends that request only; the server keeps running.
      this.fail([coreId], (e as Error).message);
      return;
    }
    if (live.processor.done) this.release(coreId);
    else if (output.finishReason === null && live.processor.isFinished(index)) this.core().abort(output.requestId); // a stop string
  }

  /**
   * The queue and request timeouts of one request (seconds; unset or 0: none): each ends it with a 503 and
   * frees its choices. The caller clears the returned timers.
   */
  startTimers(coreId: string, queue?: number, total?: number): ReturnType<typeof setTimeout>[] {
    const timers: ReturnType<typeof setTimeout>[] = [];
    if (queue !== undefined && queue > 0) {
      timers.push(setTimeout(() => {
        if ((this.#live.get(coreId)?.processor.completionTokens ?? 1) > 0) return;
        this.end(coreId, new CapacityError(`the request waited more than ${queue} s for its first token (--queue-timeout); retry later`, 503, 1));
      }, queue * 1000));
    }
    if (total !== undefined && total > 0) {
      timers.push(setTimeout(() => {
        this.end(coreId, new CapacityError(`the request took more than ${total} s (--request-timeout)`, 503));
      }, total * 1000));
    }
    return timers;
  }

  /** Ends a request's stream and frees its choices in the core. */
  release(coreId: string): void {
    this.#forget(coreId)?.queue.end();
  }

  /** Ends a request with an error and frees its choices in the core. */
  end(coreId: string, error: Error): void {
    this.#forget(coreId)?.queue.end(error);
  }

  /** Ends requests the worker failed, with the error class their kind maps to (400, 503 or 500). */
  fail(coreIds: readonly string[], message: string, kind: FailureKind = "internal"): void {
    for (const coreId of coreIds) {
      const error = kind === "invalid" ? new InvalidRequestError(message)
        : kind === "capacity" ? new CapacityError(message, 503, 5)
        : new EngineFailedError(`generation failed: ${message}`);
      this.end(coreId, error);
    }
  }

  /** `VLLM_MLX_TRACE`: the first event with text, and how many tokens it took (held-back partial characters). */
  #traceText(coreId: string, events: readonly EngineEvent[], tokens: number): void {
    if (this.#texted.has(coreId) || !events.some((e) => e.type === "delta" && e.text !== "")) return;
    this.#texted.add(coreId);
    traceMark("eng.text", coreId, { tokens });
  }

  #forget(coreId: string): LiveRequest | undefined {
    this.#texted.delete(coreId);
    const live = this.#live.get(coreId);
    if (!live) return undefined;
    this.#live.delete(coreId);
    for (const childId of live.parent.childIds) {
      this.#childOf.delete(childId);
      this.core().abort(childId);
    }
    return live;
  }
}
