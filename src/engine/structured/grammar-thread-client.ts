/**
 * The model thread's handle on the grammar thread (grammar-thread.ts): starts it, builds the vocabulary's token
 * table there, asks it to compile specs and make matchers (the model thread keeps stepping meanwhile), and notices
 * when it dies.
 */
import { matcherBuffer, type FromGrammarThread, type ToGrammarThread } from "./grammar-protocol.ts";
import { StructuredOutputError, type StructuredOutputSpec } from "./spec.ts";
import { type GrammarThreadLink, ThreadTokenGrammar } from "./thread-token-grammar.ts";
import type { GrammarVocab } from "./vocab.ts";
import { threadEntry } from "../thread-entry.ts";

const GRAMMAR_THREAD = threadEntry("./src/engine/structured/grammar-thread.ts", "./grammar-thread.ts", import.meta.url);

export interface GrammarThreadOptions {
  vocab: GrammarVocab;
  /** The width of the model's logits (masks cover every row of the embedding). */
  vocabSize: number;
  /** The vocabulary's stop tokens (xgrammar's TokenizerInfo); undefined: xgrammar's guess from the vocabulary. */
  stopTokenIds?: number[];
  /** Called once when the thread dies unasked, with the requests whose grammars it held. */
  onCrash?: (error: Error, requestIds: string[]) => void;
  /** Most ms a mask may be waited for before the thread is taken as hung (a compile holds it: keep it long). */
  waitTimeoutMs?: number;
}

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

/**
 * @example
 *   const thread = await GrammarThread.start({ vocab: grammarVocab(files, V), vocabSize: V });
 *   const g = await thread.create({ type: "json_object" }, [eos], "req-1"); // a TokenGrammar
 */
export class GrammarThread implements GrammarThreadLink {
  readonly #worker: Worker;
  readonly #options: GrammarThreadOptions;
  readonly #pending = new Map<number, Waiter>();
  /** Live matchers: id -> request id. */
  readonly #live = new Map<number, string>();
  #nextId = 1;
  #dead: Error | null = null;
  #closed = false;
  #waitedMs = 0;
  readonly waitTimeoutMs: number;

  private constructor(options: GrammarThreadOptions, specifier: string) {
    this.#options = options;
    this.waitTimeoutMs = options.waitTimeoutMs ?? 60_000;
    this.#worker = new Worker(specifier);
    this.#worker.unref();
    this.#worker.onmessage = (event: MessageEvent<FromGrammarThread>) => this.#receive(event.data);
    this.#worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#crash(new Error(`the grammar thread crashed: ${event.message || "unknown error"}`));
    };
    this.#worker.addEventListener("close", () => this.#crash(new Error("the grammar thread exited unexpectedly")));
  }

  /** Starts the thread and waits until its token table is built (about 1 s for a 150k vocabulary, off this thread). */
  static async start(options: GrammarThreadOptions, specifier = GRAMMAR_THREAD): Promise<GrammarThread> {
    const thread = new GrammarThread(options, specifier);
    const ready = thread.#expect(0);
    thread.#send({ type: "init", vocab: options.vocab, vocabSize: options.vocabSize, stopTokenIds: options.stopTokenIds });
    try {
      await ready;
    } catch (e) {
      thread.close();
      throw e;
    }
    return thread;
  }

  get dead(): boolean {
    return this.#dead !== null || this.#closed;
  }

  /** The ms the model thread spent waiting on this thread's answers. */
  get waitedMs(): number {
    return this.#waitedMs;
  }

  /** A matcher for `spec` at its start; rejects with `StructuredOutputError` for a spec that cannot compile. */
  async create(spec: StructuredOutputSpec, stopTokenIds: readonly number[], requestId = ""): Promise<ThreadTokenGrammar> {
    if (this.#dead) throw this.#dead;
    if (this.#closed) throw new Error("the grammar thread was closed");
    const id = this.#nextId++;
    const shared = matcherBuffer(Math.ceil(this.#options.vocabSize / 32));
    const made = this.#expect(id);
    this.#send({ type: "create", id, spec, stopTokenIds: [...stopTokenIds], shared });
    await made;
    this.#live.set(id, requestId);
    return new ThreadTokenGrammar(this, id, shared);
  }

  accept(id: number, token: number): void {
    this.#send({ type: "accept", id, token });
  }

  dispose(id: number): void {
    this.#live.delete(id);
    this.#send({ type: "dispose", id });
  }

  recordWait(ms: number): void {
    this.#waitedMs += ms;
  }

  /** Ends the thread; its matchers answer as ended from now on. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#worker.terminate();
    this.#failPending(new Error("the grammar thread was closed"));
  }

  #send(message: ToGrammarThread): void {
    if (!this.dead) this.#worker.postMessage(message);
  }

  #expect(id: number): Promise<void> {
    return new Promise<void>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
  }

  #receive(message: FromGrammarThread): void {
    const id = message.type === "ready" || message.type === "init-failed" ? 0 : message.id;
    const waiter = this.#pending.get(id);
    if (!waiter) return;
    this.#pending.delete(id);
    if (message.type === "ready" || message.type === "created") waiter.resolve();
    else if (message.type === "init-failed") waiter.reject(new Error(message.message));
    else waiter.reject(message.param ? new StructuredOutputError(message.message, message.param) : new Error(message.message));
  }

  #crash(error: Error): void {
    if (this.dead) return;
    this.#dead = error;
    this.#worker.terminate();
    this.#failPending(error);
    const requestIds = [...this.#live.values()];
    this.#live.clear();
    this.#options.onCrash?.(error, requestIds);
  }

  #failPending(error: Error): void {
    for (const waiter of this.#pending.values()) waiter.reject(error);
    this.#pending.clear();
  }
}
