/**
 * Prepares prompts (template, tokenization, context check) without blocking the HTTP thread on large inputs:
 * small requests are prepared inline (a thread hop costs more than they do); larger ones go to a prompt
 * thread, in arrival order. For a VLM, every prompt with images or videos goes to the prompt thread, which
 * fetches, decodes, hashes and preprocesses them (media-prompt.ts).
 */
import type { ModelTokenizer } from "../../tokenizer/index.ts";
import { type GenerateRequest, InvalidRequestError } from "../protocol.ts";
import { type PreparedPrompt, type PromptLimits, preparePrompt } from "./prompt.ts";
import { hasMediaParts } from "./media-inputs.ts";
import { deserializePromptError, type PromptVision, type PromptWorkerReply, type PromptWorkerRequest } from "./prompt-protocol.ts";
import { threadEntry } from "../thread-entry.ts";

const PROMPT_WORKER = threadEntry("./src/engine/frontend/prompt-worker.ts", "./prompt-worker.ts", import.meta.url);

/** What a prompt whose request was cancelled rejects with (no client is left to read it). */
function cancelled(): InvalidRequestError {
  return new InvalidRequestError("the request was cancelled while its prompt was prepared", null);
}

/** Requests whose text is at least this many UTF-16 units are prepared on the prompt thread. */
export const OFF_THREAD_CHARS = 16 * 1024;

/** Text units a request carries (an upper bound on what templating and tokenizing must read). */
export function requestTextSize(request: GenerateRequest): number {
  if (request.kind === "completion") return typeof request.prompt === "string" ? request.prompt.length : request.prompt.length;
  let n = 0;
  for (const m of request.messages) {
    if (typeof m.content === "string") n += m.content.length;
    else if (Array.isArray(m.content)) for (const part of m.content) n += "text" in part && typeof part.text === "string" ? part.text.length : 0;
  }
  if (request.tools) n += JSON.stringify(request.tools).length;
  return n;
}

/**
 * @example
 *   const preparer = new PromptPreparer(tokenizer);
 *   const prepared = await preparer.prepare(request, { contextLength: 8192 });
 *   preparer.close();
 */
export class PromptPreparer {
  #worker: Worker | null = null;
  #nextId = 0;
  readonly #pending = new Map<number, { resolve: (p: PreparedPrompt) => void; reject: (e: Error) => void }>();

  constructor(
    readonly tokenizer: ModelTokenizer,
    private readonly threshold = OFF_THREAD_CHARS,
    /** A VLM's media preparation; without it, a media part is refused as input a text-only model can't take. */
    private readonly vision?: PromptVision,
  ) {}

  /**
   * Prepares `request`. When `signal` (the request's) aborts first, the promise rejects at once and the prompt
   * thread is told to cancel the request's media fetches and decodes.
   */
  prepare(request: GenerateRequest, limits: PromptLimits, signal?: AbortSignal): Promise<PreparedPrompt> {
    const media = this.vision !== undefined && request.kind === "chat" && hasMediaParts(request.messages);
    if (!media && requestTextSize(request) < this.threshold) {
      try {
        return Promise.resolve(preparePrompt(this.tokenizer, request, limits));
      } catch (e) {
        return Promise.reject(e as Error);
      }
    }
    const worker = this.#spawn();
    const id = ++this.#nextId;
    return new Promise<PreparedPrompt>((resolve, reject) => {
      if (signal?.aborted) {
        reject(cancelled());
        return;
      }
      const onAbort = () => {
        if (!this.#pending.delete(id)) return;
        this.#worker?.postMessage({ type: "cancel", id } satisfies PromptWorkerRequest);
        reject(cancelled());
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const settle = () => signal?.removeEventListener("abort", onAbort);
      this.#pending.set(id, {
        resolve: (p) => (settle(), resolve(p)),
        reject: (e) => (settle(), reject(e)),
      });
      worker.postMessage({ type: "prepare", id, request, limits } satisfies PromptWorkerRequest);
    });
  }

  /** Stops the prompt thread; prompts in flight fail. */
  close(): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#failAll(new Error("the prompt thread was stopped"));
  }

  #spawn(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(PROMPT_WORKER);
    worker.onmessage = (event: MessageEvent<PromptWorkerReply>) => {
      const reply = event.data;
      const waiter = this.#pending.get(reply.id);
      if (!waiter) return;
      this.#pending.delete(reply.id);
      if ("prepared" in reply) waiter.resolve(reply.prepared);
      else waiter.reject(deserializePromptError(reply.error));
    };
    worker.onerror = (event) => {
      this.#worker = null;
      this.#failAll(new Error(`the prompt thread failed: ${event.message}`));
    };
    worker.postMessage({ type: "init", files: this.tokenizer.files, ...(this.vision ? { vision: this.vision } : {}) } satisfies PromptWorkerRequest);
    worker.unref();
    this.#worker = worker;
    return worker;
  }

  #failAll(error: Error): void {
    for (const waiter of this.#pending.values()) waiter.reject(error);
    this.#pending.clear();
  }
}
