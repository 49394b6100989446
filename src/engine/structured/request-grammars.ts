/** Per-request grammars on the model thread: one compiler for the model's vocabulary, made on first use. */
import type { TokenizerFiles } from "../../tokenizer/index.ts";
import { StructuredCompiler } from "./compiler.ts";
import type { StructuredOutputSpec } from "./spec.ts";
import { type TokenGrammar, XgrammarTokenGrammar } from "./token-grammar.ts";

/**
 * @example
 *   const grammars = new RequestGrammars(async () => (await loadTokenizer(dir)).files, config.vocabSize);
 *   core.addRequest(req, await grammars.create(req.structured!, [...req.stopTokenIds]));
 */
export class RequestGrammars {
  #compiler: Promise<StructuredCompiler> | null = null;

  constructor(
    readonly tokenizerFiles: () => Promise<TokenizerFiles>,
    /** The width of the model's logits (masks cover every row of the embedding, not only named tokens). */
    readonly vocabSize: number,
  ) {}

  /** A fresh grammar state for `spec`; throws `StructuredOutputError` for a spec that cannot compile. */
  async create(spec: StructuredOutputSpec, stopTokenIds: readonly number[]): Promise<TokenGrammar> {
    this.#compiler ??= this.tokenizerFiles().then((files) => StructuredCompiler.create(files, this.vocabSize, [...stopTokenIds]));
    let compiler: StructuredCompiler;
    try {
      compiler = await this.#compiler;
    } catch (e) {
      this.#compiler = null; // a later request may try again
      throw e;
    }
    return new XgrammarTokenGrammar(compiler.matcher(await compiler.compile(spec)));
  }
}
