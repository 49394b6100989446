/**
 * Compiles a request's {@link StructuredOutputSpec} into an xgrammar grammar over the model's real vocabulary,
 * and makes a matcher per sequence. One compiler per model; compiled grammars are cached by spec.
 */
import type { TokenizerFiles } from "../../tokenizer/index.ts";
import { larkToEbnf } from "./lark.ts";
import { checkSpec, StructuredOutputError, type StructuredOutputSpec } from "./spec.ts";
import { rewriteSchemaEbnf } from "./schema-ebnf.ts";
import { toolCallStructuralTag } from "./tool-grammar.ts";
import { type GrammarVocab, grammarVocab } from "./vocab.ts";
import {
  type CompiledGrammar, type Grammar, GrammarCompileError, type GrammarCompiler, type GrammarMatcher, xgr, xgrammarCall,
} from "./xgrammar.ts";

/** Most compiled grammars kept (least recently used go first). */
const CACHE_SIZE = 64;

/**
 * JSON layout: one line, `", "` and `": "` between items (indent -1 means none in the WASM binding), no free
 * whitespace: a model cannot stall in blank space, and the text matches what the tool-call parsers expect.
 */
export const JSON_LAYOUT = { anyWhitespace: false, indent: -1, separators: [", ", ": "] as [string, string] };

/** A string as an EBNF literal. */
export function ebnfLiteral(s: string): string {
  return JSON.stringify(s);
}

/** The EBNF, JSON schema or structural tag a spec compiles from. */
type Source =
  | { kind: "schema"; schema: string; strictMode: boolean }
  | { kind: "ebnf"; ebnf: string }
  | { kind: "tag"; tag: Record<string, unknown> };

function sourceOf(spec: StructuredOutputSpec): Source {
  switch (spec.type) {
    case "json_object":
      return { kind: "schema", schema: '{"type": "object"}', strictMode: true };
    case "json_schema":
      return { kind: "schema", schema: JSON.stringify(spec.schema), strictMode: spec.strict !== false };
    case "regex":
      return { kind: "tag", tag: { type: "structural_tag", format: { type: "regex", pattern: spec.pattern } } };
    case "choice":
      return { kind: "ebnf", ebnf: `root ::= ${spec.choices.map(ebnfLiteral).join(" | ")}` };
    case "grammar":
      return { kind: "ebnf", ebnf: spec.grammar.includes("::=") ? spec.grammar : larkToEbnf(spec.grammar) };
    case "tool_call":
      return { kind: "tag", tag: toolCallStructuralTag(spec.format, spec.tools) };
  }
}

/**
 * A JSON schema's grammar as rewritten by schema-ebnf.ts (bounded strings without control characters, lookaheads
 * on bounded repetitions' rules). The printed grammar must parse back to itself, else it is kept as is.
 */
async function schemaGrammar(schema: string, strictMode: boolean): Promise<Grammar> {
  const grammar = await xgr.Grammar.fromJSONSchema(schema, JSON_LAYOUT.anyWhitespace, JSON_LAYOUT.indent, JSON_LAYOUT.separators, strictMode);
  const text = grammar.toString();
  const tuned = rewriteSchemaEbnf(text);
  if (tuned === text) return grammar;
  let rewritten: Grammar | undefined;
  try {
    const reparsed = await xgr.Grammar.fromEBNF(text);
    const same = reparsed.toString() === text;
    reparsed.dispose();
    if (same) rewritten = await xgr.Grammar.fromEBNF(tuned);
  } catch {
    // xgrammar could not read its own print back: its grammar stays as it is
  }
  if (!rewritten) return grammar;
  grammar.dispose();
  return rewritten;
}

/** Which request field a spec came from, for error messages. */
export function specParam(spec: StructuredOutputSpec): string {
  switch (spec.type) {
    case "json_object":
    case "json_schema":
      return "response_format";
    case "tool_call":
      return "tool_choice";
    default:
      return `structured_outputs.${spec.type}`;
  }
}

/**
 * Checks that a spec compiles, without a vocabulary (the server's thread does this before it answers 200).
 *
 * @example
 *   await validateSpec({ type: "regex", pattern: "(?<=a)b" }) // throws StructuredOutputError naming lookbehind
 */
export async function validateSpec(spec: StructuredOutputSpec): Promise<void> {
  const param = specParam(spec);
  checkSpec(spec, param);
  const src = sourceOf(spec);
  try {
    const grammar = await xgrammarCall(() => src.kind === "schema"
      ? xgr.Grammar.fromJSONSchema(src.schema, JSON_LAYOUT.anyWhitespace, JSON_LAYOUT.indent, JSON_LAYOUT.separators, src.strictMode)
      : src.kind === "ebnf" ? xgr.Grammar.fromEBNF(src.ebnf) : xgr.Grammar.fromStructuralTag(src.tag));
    grammar.dispose();
  } catch (e) {
    if (e instanceof GrammarCompileError) throw new StructuredOutputError(`${param}: ${e.message}`, param);
    throw e;
  }
}

/**
 * @example
 *   const c = await StructuredCompiler.create(tok.files, model.spec.config.vocabSize, [...tok.eosTokenIds]);
 *   const g = await c.compile({ type: "json_object" });
 *   const m = c.matcher(g); // GrammarMatcher: fill masks, accept tokens
 */
export class StructuredCompiler {
  readonly #compiler: GrammarCompiler;
  readonly #cache = new Map<string, CompiledGrammar>();
  /** The stop tokens a matcher ends on unless its request names its own; undefined: xgrammar's guess from the vocabulary. */
  readonly stopTokenIds: number[] | undefined;
  readonly vocabSize: number;

  private constructor(compiler: GrammarCompiler, vocabSize: number, stopTokenIds: number[] | undefined) {
    this.#compiler = compiler;
    this.vocabSize = vocabSize;
    this.stopTokenIds = stopTokenIds;
  }

  /**
   * Builds the token table from tokenizer.json: about 1 s for Qwen3's 150k vocabulary on a loaded 2-core CPU,
   * so the worker makes it right after the model loads, not on the first constrained request.
   */
  static async create(files: TokenizerFiles, vocabSize: number, stopTokenIds?: number[]): Promise<StructuredCompiler> {
    return StructuredCompiler.fromVocab(grammarVocab(files, vocabSize), vocabSize, stopTokenIds);
  }

  /** {@link create} from the vocabulary already read (what the grammar thread is sent). */
  static async fromVocab(vocab: GrammarVocab, vocabSize: number, stopTokenIds?: number[]): Promise<StructuredCompiler> {
    const compiler = await xgrammarCall(async () => {
      const info = await xgr.TokenizerInfo.createTokenizerInfo(vocab.encoded, vocab.type, vocab.prependSpace, vocabSize, stopTokenIds);
      return xgr.GrammarCompiler.createGrammarCompiler(info, true);
    });
    return new StructuredCompiler(compiler, vocabSize, stopTokenIds);
  }

  /** The compiled grammar of a spec; a spec that cannot compile throws {@link StructuredOutputError}. */
  async compile(spec: StructuredOutputSpec): Promise<CompiledGrammar> {
    const key = JSON.stringify(spec);
    const hit = this.#cache.get(key);
    if (hit) {
      this.#cache.delete(key);
      this.#cache.set(key, hit);
      return hit;
    }
    const param = specParam(spec);
    checkSpec(spec, param);
    const src = sourceOf(spec);
    let compiled: CompiledGrammar;
    try {
      compiled = await xgrammarCall(async () => {
        if (src.kind === "ebnf") return this.#compiler.compileGrammar(src.ebnf);
        if (src.kind === "tag") return this.#compiler.compileStructuralTag(src.tag);
        const grammar = await schemaGrammar(src.schema, src.strictMode);
        try {
          return await this.#compiler.compileGrammar(grammar);
        } finally {
          grammar.dispose();
        }
      });
    } catch (e) {
      if (e instanceof GrammarCompileError) throw new StructuredOutputError(`${param}: ${e.message}`, param);
      throw e;
    }
    this.#cache.set(key, compiled);
    if (this.#cache.size > CACHE_SIZE) {
      const [oldKey, old] = this.#cache.entries().next().value!;
      this.#cache.delete(oldKey);
      old.dispose();
    }
    return compiled;
  }

  /** A fresh matcher at the grammar's start, ending on `stopTokenIds` (a request's); dispose it when its sequence ends. */
  matcher(compiled: CompiledGrammar, stopTokenIds: number[] | undefined = this.stopTokenIds): GrammarMatcher {
    return xgr.GrammarMatcher.createGrammarMatcherSync(compiled, stopTokenIds);
  }
}
