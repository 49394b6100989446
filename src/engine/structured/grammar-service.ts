/**
 * The grammar thread's state: the compiler over the model's vocabulary (and its cache of compiled grammars) and
 * every live matcher. After each accepted token it writes the matcher's next bitmask into the matcher's shared
 * buffer at once, so the mask is computed while the model thread goes on (building the next graph, the device
 * running the step). Plain class, driven by {@link GrammarService.handle}: the tests drive it without a Worker.
 */
import { StructuredCompiler } from "./compiler.ts";
import {
  FLAG_FAILED, FLAG_TERMINATED, type FromGrammarThread, H_DONE, H_FLAGS, H_MASKED, matcherViews, type ToGrammarThread,
} from "./grammar-protocol.ts";
import { StructuredOutputError } from "./spec.ts";
import type { GrammarMatcher } from "./xgrammar.ts";

interface Live {
  matcher: GrammarMatcher;
  header: Int32Array;
  mask: Int32Array;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * @example
 *   const service = new GrammarService((m) => self.postMessage(m));
 *   self.onmessage = (e) => service.handle(e.data);
 */
export class GrammarService {
  readonly #post: (message: FromGrammarThread) => void;
  #compiler: Promise<StructuredCompiler> | null = null;
  readonly #live = new Map<number, Live>();
  /** Matchers disposed while their grammar compiled: dropped once made. */
  readonly #dropped = new Set<number>();

  constructor(post: (message: FromGrammarThread) => void) {
    this.#post = post;
  }

  handle(message: ToGrammarThread): void {
    switch (message.type) {
      case "init": {
        const compiler = StructuredCompiler.fromVocab(message.vocab, message.vocabSize, message.stopTokenIds);
        this.#compiler = compiler;
        compiler.then(() => this.#post({ type: "ready" }), (e) => this.#post({ type: "init-failed", message: messageOf(e) }));
        return;
      }
      case "create":
        void this.#create(message.id, message);
        return;
      case "accept":
        this.#accept(message.id, message.token);
        return;
      case "dispose": {
        const live = this.#live.get(message.id);
        if (!live) this.#dropped.add(message.id);
        live?.matcher.dispose();
        this.#live.delete(message.id);
        return;
      }
    }
  }

  async #create(id: number, m: Extract<ToGrammarThread, { type: "create" }>): Promise<void> {
    let matcher: GrammarMatcher;
    try {
      if (!this.#compiler) throw new Error("the grammar thread was not initialized");
      const compiler = await this.#compiler;
      matcher = compiler.matcher(await compiler.compile(m.spec), m.stopTokenIds);
    } catch (e) {
      this.#dropped.delete(id);
      const param = e instanceof StructuredOutputError ? e.param : undefined;
      this.#post({ type: "create-failed", id, message: messageOf(e), ...(param ? { param } : {}) });
      return;
    }
    if (this.#dropped.delete(id)) {
      matcher.dispose();
      return;
    }
    const live = { matcher, ...matcherViews(m.shared) };
    this.#live.set(id, live);
    this.#writeMask(live, 0);
    this.#post({ type: "created", id });
  }

  /** Accepts, publishes the new state (H_DONE), then computes and publishes the next bitmask (H_MASKED). */
  #accept(id: number, token: number): void {
    const live = this.#live.get(id);
    if (!live) return; // disposed
    const done = live.header[H_DONE]! + 1;
    let ok = false;
    try {
      ok = live.matcher.acceptToken(token);
    } catch {
      ok = false;
    }
    if (!ok) Atomics.or(live.header, H_FLAGS, FLAG_FAILED);
    // The state's flags before H_DONE: isTerminated() on the model thread reads them once H_DONE is reached.
    else if (live.matcher.isTerminated()) Atomics.or(live.header, H_FLAGS, FLAG_TERMINATED);
    Atomics.store(live.header, H_DONE, done);
    Atomics.notify(live.header, H_DONE);
    this.#writeMask(live, done);
  }

  /** The bitmask after `done` accepts (skipped once the grammar ended or failed), then H_MASKED = done + 1. */
  #writeMask(live: Live, done: number): void {
    const { matcher, header, mask } = live;
    try {
      if (matcher.isTerminated()) Atomics.or(header, H_FLAGS, FLAG_TERMINATED);
      else if ((header[H_FLAGS]! & FLAG_FAILED) === 0) mask.set(matcher.getNextTokenBitmaskSync().subarray(0, mask.length));
    } catch {
      Atomics.or(header, H_FLAGS, FLAG_FAILED);
    }
    Atomics.store(header, H_MASKED, done + 1);
    Atomics.notify(header, H_MASKED);
  }
}
