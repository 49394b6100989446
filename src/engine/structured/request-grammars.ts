/**
 * Per-request grammars for the model thread, made on the grammar thread (grammar-thread.ts): compiling a
 * never-seen schema (90 ms to seconds) and each step's masks run there, so no running request stalls for them.
 */
import type { TokenizerFiles } from "../../tokenizer/index.ts";
import { GrammarThread } from "./grammar-thread-client.ts";
import type { StructuredOutputSpec } from "./spec.ts";
import type { TokenGrammar } from "./token-grammar.ts";
import { grammarVocab } from "./vocab.ts";

export interface RequestGrammarsOptions {
  /** The grammar thread died: these requests' grammars are gone (the next `create` starts a fresh thread). */
  onCrash?: (error: Error, requestIds: string[]) => void;
  /** The grammar thread's module (tests); the default finds it beside this file or in the compiled binary. */
  specifier?: string;
}

/**
 * @example
 *   const grammars = new RequestGrammars(async () => (await loadTokenizer(dir)).files, config.vocabSize);
 *   void grammars.warm(); // right after the model loads
 *   core.addRequest(req, await grammars.create(req.structured!, [...req.stopTokenIds], req.requestId));
 */
export class RequestGrammars {
  #thread: Promise<GrammarThread> | null = null;

  constructor(
    readonly tokenizerFiles: () => Promise<TokenizerFiles>,
    /** The width of the model's logits (masks cover every row of the embedding, not only named tokens). */
    readonly vocabSize: number,
    readonly options: RequestGrammarsOptions = {},
  ) {}

  /**
   * Starts the grammar thread and builds the vocabulary's token table there (about 1 s for a 150k vocabulary),
   * so that the first constrained request does not wait for it. A failure is left for the first such request.
   */
  async warm(): Promise<void> {
    await this.#threadOnce().catch(() => undefined);
  }

  /** A fresh grammar state for `spec`; throws `StructuredOutputError` for a spec that cannot compile. */
  async create(spec: StructuredOutputSpec, stopTokenIds: readonly number[], requestId = ""): Promise<TokenGrammar> {
    return (await this.#threadOnce()).create(spec, stopTokenIds, requestId);
  }

  /** The ms the model thread waited on the grammar thread (masks not written yet when asked for). */
  async waitedMs(): Promise<number> {
    return this.#thread ? (await this.#thread).waitedMs : 0;
  }

  /** Ends the grammar thread. */
  async close(): Promise<void> {
    const thread = this.#thread;
    this.#thread = null;
    (await thread?.catch(() => null))?.close();
  }

  #threadOnce(): Promise<GrammarThread> {
    if (!this.#thread) {
      const pending: Promise<GrammarThread> = this.#start(() => {
        if (this.#thread === pending) this.#thread = null; // the next request starts a fresh thread
      });
      this.#thread = pending;
      pending.catch(() => {
        if (this.#thread === pending) this.#thread = null; // a later request may try again
      });
    }
    return this.#thread;
  }

  async #start(forget: () => void): Promise<GrammarThread> {
    const vocab = grammarVocab(await this.tokenizerFiles(), this.vocabSize);
    const onCrash = (error: Error, requestIds: string[]) => {
      forget();
      this.options.onCrash?.(error, requestIds);
    };
    return GrammarThread.start({ vocab, vocabSize: this.vocabSize, onCrash }, this.options.specifier);
  }
}
