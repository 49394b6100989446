/** Per-request grammars on the model thread: one compiler for the model's vocabulary, made once. */
import type { TokenizerFiles } from "../../tokenizer/index.ts";
import { StructuredCompiler } from "./compiler.ts";
import type { StructuredOutputSpec } from "./spec.ts";
import { type TokenGrammar, XgrammarTokenGrammar } from "./token-grammar.ts";

/**
 * @example
 *   const grammars = new RequestGrammars(async () => (await loadTokenizer(dir)).files, config.vocabSize);
 *   void grammars.warm(); // right after the model loads, while nothing runs
 *   core.addRequest(req, await grammars.create(req.structured!, [...req.stopTokenIds]));
 */
export class RequestGrammars {
  #compiler: Promise<StructuredCompiler> | null = null;

  constructor(
    readonly tokenizerFiles: () => Promise<TokenizerFiles>,
    /** The width of the model's logits (masks cover every row of the embedding, not only named tokens). */
    readonly vocabSize: number,
  ) {}

  /**
   * Builds the vocabulary's token table now (the longest pause grammar work puts on the model thread: about
   * 1 s for a 150k vocabulary), so that no constrained request pays it while others are decoding.
   * A failure is left for the first constrained request to report.
   */
  async warm(): Promise<void> {
    await this.#compilerOnce().catch(() => undefined);
  }

  /** A fresh grammar state for `spec`; throws `StructuredOutputError` for a spec that cannot compile. */
  async create(spec: StructuredOutputSpec, stopTokenIds: readonly number[]): Promise<TokenGrammar> {
    const compiler = await this.#compilerOnce();
    return new XgrammarTokenGrammar(compiler.matcher(await compiler.compile(spec), [...stopTokenIds]));
  }

  #compilerOnce(): Promise<StructuredCompiler> {
    this.#compiler ??= this.tokenizerFiles().then((files) => StructuredCompiler.create(files, this.vocabSize));
    const pending = this.#compiler;
    pending.catch(() => {
      if (this.#compiler === pending) this.#compiler = null; // a later request may try again
    });
    return pending;
  }
}
