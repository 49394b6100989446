/** The tokenizer's real vocabulary in the form xgrammar's TokenizerInfo takes. */
import type { TokenizerFiles } from "../../tokenizer/index.ts";

/** How token strings encode bytes (xgrammar's VocabType). */
export type VocabType = "byte_level" | "byte_fallback" | "raw";

export interface GrammarVocab {
  /** Token strings by id, as tokenizer.json writes them ("" for ids it does not name). */
  encoded: string[];
  type: VocabType;
  /** SentencePiece tokenizers that prepend "▁" to the text before tokenizing. */
  prependSpace: boolean;
}

type Json = Record<string, unknown>;

function components(node: unknown): Json[] {
  if (!node || typeof node !== "object") return [];
  const n = node as Json;
  const inner = [n.decoders, n.normalizers, n.pretokenizers].find(Array.isArray) as unknown[] | undefined;
  return inner ? inner.flatMap(components) : [n];
}

/** The vocabulary type from tokenizer.json's decoder: ByteLevel, ByteFallback, or neither. */
export function vocabType(tokenizerJson: Json): VocabType {
  const decoders = components(tokenizerJson.decoder).map((d) => d.type);
  if (decoders.includes("ByteLevel")) return "byte_level";
  if (decoders.includes("ByteFallback")) return "byte_fallback";
  return "raw";
}

function prependsSpace(tokenizerJson: Json): boolean {
  const norm = components(tokenizerJson.normalizer).some((n) => n.type === "Prepend" && n.prepend === "▁");
  const meta = components(tokenizerJson.pre_tokenizer)
    .some((p) => p.type === "Metaspace" && (p.prepend_scheme === "always" || p.prepend_scheme === "first" || p.add_prefix_space === true));
  return norm || meta;
}

/**
 * Token strings by id from tokenizer.json (model vocabulary and added tokens), padded to `vocabSize`. A special added
 * token (`<|endoftext|>`, `<|im_start|>`, ...) is "": xgrammar takes an empty token for a special one, which the mask
 * never allows (stop tokens aside, where the grammar may end). Written out, its text would be valid inside a JSON
 * string, and a sampled one would not read back as that text (the output skips special tokens).
 *
 * @example
 *   const v = grammarVocab(tok.files, 151936); // v.encoded[9707] === "Hello", v.type === "byte_level"
 */
export function grammarVocab(files: TokenizerFiles, vocabSize: number): GrammarVocab {
  const tj = files.tokenizerJson;
  const model = (tj.model ?? {}) as Json;
  const encoded = new Array<string>(vocabSize).fill("");
  const vocab = model.vocab;
  if (Array.isArray(vocab)) {
    // Unigram: [[piece, score], ...] by id.
    vocab.forEach((entry, id) => { if (id < vocabSize && Array.isArray(entry)) encoded[id] = String(entry[0]); });
  } else if (vocab && typeof vocab === "object") {
    for (const [piece, id] of Object.entries(vocab as Record<string, number>)) if (id < vocabSize) encoded[id] = piece;
  }
  for (const t of (Array.isArray(tj.added_tokens) ? tj.added_tokens : []) as { id: number; content: string; special?: boolean }[]) {
    if (t.id < vocabSize) encoded[t.id] = t.special ? "" : t.content;
  }
  return { encoded, type: vocabType(tj), prependSpace: prependsSpace(tj) };
}
