/**
 * The constrained-decoding benchmarks' subject: the real Qwen3 vocabulary and tokenizer, and a JSON schema (an array
 * of exactly 12 objects with a length-bounded string and a bounded integer) that a random-weight model cannot end
 * early. Shared by engine-decode.ts and mask-breakdown.ts so that both time the same grammar.
 */
import { JSON_LAYOUT, StructuredCompiler } from "../../src/engine/structured/compiler.ts";
import type { StructuredOutputSpec } from "../../src/engine/structured/spec.ts";
import { xgr, xgrammarCall } from "../../src/engine/structured/xgrammar.ts";
import { loadTokenizer } from "../../src/tokenizer/index.ts";
import { lenmlDir } from "../../src/tokenizer/testdata/fixtures.ts";

/** Qwen3's vocabulary size (the model's embedding rows). */
export const VOCAB = 151936;

export const TWELVE_ITEMS: StructuredOutputSpec = {
  type: "json_schema",
  schema: {
    type: "array", minItems: 12, maxItems: 12,
    items: {
      type: "object",
      properties: { name: { type: "string", minLength: 4, maxLength: 24 }, qty: { type: "integer", minimum: 0, maximum: 9999 } },
      required: ["name", "qty"], additionalProperties: false,
    },
  },
};

/** The Qwen3 tokenizer, its end-of-sequence ids and the grammar compiler over its vocabulary. */
export async function qwen3Subject() {
  const tok = await loadTokenizer(lenmlDir("qwen3"));
  const eos = [...tok.eosTokenIds];
  return { tok, eos, compiler: await StructuredCompiler.create(tok.files, VOCAB, eos) };
}

/**
 * xgrammar's own grammar for a JSON schema, as an EBNF spec, without the lookaheads that the compiler adds to
 * bounded repetitions (src/engine/structured/tail-lookahead.ts): the "before" of `--plain` in the benches.
 */
export async function plainSchemaSpec(schema: unknown): Promise<StructuredOutputSpec> {
  const { anyWhitespace, indent, separators } = JSON_LAYOUT;
  const g = await xgrammarCall(() => xgr.Grammar.fromJSONSchema(JSON.stringify(schema), anyWhitespace, indent, separators, true));
  const grammar = g.toString();
  g.dispose();
  return { type: "grammar", grammar };
}
