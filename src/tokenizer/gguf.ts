/** Converting GGUF tokenizer metadata (BPE, `tokenizer.ggml.model == "gpt2"`) into tokenizer.json objects. */
import type { TokenizerFiles } from "./config.ts";
import { TokenizerError } from "./errors.ts";

/** GGUF token types (llama.cpp's `llama_token_type`). */
export const GGUF_TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

/** GGUF metadata as key/value pairs, e.g. `{"tokenizer.ggml.model": "gpt2", "tokenizer.ggml.tokens": [...]}`. */
export type GgufMetadata = Record<string, unknown>;

const LLAMA3_SPLIT =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_SPLIT =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

interface PreTokenization {
  normalizer: Record<string, unknown> | null;
  preTokenizer: Record<string, unknown>;
  ignoreMerges: boolean;
}

function splitThenByteLevel(regex: string): Record<string, unknown> {
  return {
    type: "Sequence",
    pretokenizers: [
      { type: "Split", pattern: { Regex: regex }, behavior: "Isolated", invert: false },
      { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
    ],
  };
}

/** llama.cpp's `tokenizer.ggml.pre` names mapped to the equivalent HF pre-tokenization. */
function preTokenization(pre: string): PreTokenization {
  switch (pre) {
    case "llama3":
    case "llama-v3":
    case "llama-bpe":
      return { normalizer: null, preTokenizer: splitThenByteLevel(LLAMA3_SPLIT), ignoreMerges: true };
    case "qwen2":
    case "deepseek-r1-qwen":
      return { normalizer: { type: "NFC" }, preTokenizer: splitThenByteLevel(QWEN2_SPLIT), ignoreMerges: false };
    case "gpt2":
    case "gpt-2":
    case "default":
      return {
        normalizer: null,
        preTokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
        ignoreMerges: false,
      };
    default:
      throw new TokenizerError(`unsupported GGUF pre-tokenizer "${pre}" (supported: llama-bpe, qwen2, gpt2)`);
  }
}

function stringList(metadata: GgufMetadata, key: string): string[] {
  const value = metadata[key];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new TokenizerError(`GGUF metadata "${key}" must be a list of strings`);
  }
  return value as string[];
}

function optionalNumber(metadata: GgufMetadata, key: string): number | undefined {
  const value = metadata[key];
  if (typeof value === "bigint") return Number(value);
  return typeof value === "number" ? value : undefined;
}

function splitMerge(merge: string): [string, string] {
  const at = merge.indexOf(" ");
  if (at <= 0) throw new TokenizerError(`GGUF merge "${merge}" is not "left right"`);
  return [merge.slice(0, at), merge.slice(at + 1)];
}

/**
 * Builds a tokenizer.json object from GGUF BPE metadata: `tokenizer.ggml.tokens`, `.merges`, `.token_type`,
 * `.pre`, `.bos_token_id`, `.add_bos_token`. Control tokens become special added tokens, user-defined tokens
 * non-special added tokens. Throws {@link TokenizerError} for other tokenizer models or unknown pre-tokenizers.
 *
 * @example
 *   const tokenizerJson = tokenizerJsonFromGguf(gguf.metadata);
 *   ModelTokenizer.fromObjects({tokenizerJson, tokenizerConfig: {}});
 */
export function tokenizerJsonFromGguf(metadata: GgufMetadata): Record<string, unknown> {
  const model = metadata["tokenizer.ggml.model"];
  if (model !== "gpt2") throw new TokenizerError(`unsupported GGUF tokenizer model "${String(model)}" (only "gpt2" BPE)`);
  const tokens = stringList(metadata, "tokenizer.ggml.tokens");
  const merges = stringList(metadata, "tokenizer.ggml.merges").map(splitMerge);
  const types = metadata["tokenizer.ggml.token_type"];
  const tokenTypes = Array.isArray(types) ? (types as number[]) : [];
  const pre = preTokenization(typeof metadata["tokenizer.ggml.pre"] === "string" ? metadata["tokenizer.ggml.pre"] : "default");

  const vocab: Record<string, number> = {};
  const added: Record<string, unknown>[] = [];
  tokens.forEach((token, id) => {
    vocab[token] = id;
    const type = tokenTypes[id];
    if (type === GGUF_TOKEN_TYPE.control || type === GGUF_TOKEN_TYPE.userDefined) {
      const special = type === GGUF_TOKEN_TYPE.control;
      added.push({ id, content: token, single_word: false, lstrip: false, rstrip: false, normalized: false, special });
    }
  });

  const bosId = optionalNumber(metadata, "tokenizer.ggml.bos_token_id");
  const bos = bosId === undefined ? undefined : tokens[bosId];
  const addBos = metadata["tokenizer.ggml.add_bos_token"] === true && bos !== undefined;
  const postProcessor = addBos
    ? {
        type: "TemplateProcessing",
        single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
        pair: [
          { SpecialToken: { id: bos, type_id: 0 } },
          { Sequence: { id: "A", type_id: 0 } },
          { SpecialToken: { id: bos, type_id: 1 } },
          { Sequence: { id: "B", type_id: 1 } },
        ],
        special_tokens: { [bos]: { id: bos, ids: [bosId], tokens: [bos] } },
      }
    : { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false };

  return {
    version: "1.0",
    added_tokens: added,
    normalizer: pre.normalizer,
    pre_tokenizer: pre.preTokenizer,
    post_processor: postProcessor,
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: pre.ignoreMerges,
      vocab,
      merges,
    },
  };
}

/**
 * All tokenizer inputs from GGUF metadata: tokenizer.json, a tokenizer_config with bos/eos/pad tokens and
 * `tokenizer.chat_template`, and a generation_config whose eos_token_id lists eos, eot and eom ids.
 *
 * @example
 *   const tok = ModelTokenizer.fromObjects(tokenizerFilesFromGguf(gguf.metadata));
 */
export function tokenizerFilesFromGguf(metadata: GgufMetadata): TokenizerFiles {
  const tokenizerJson = tokenizerJsonFromGguf(metadata);
  const tokens = stringList(metadata, "tokenizer.ggml.tokens");
  const tokenAt = (key: string): string | undefined => {
    const id = optionalNumber(metadata, key);
    return id === undefined ? undefined : tokens[id];
  };
  const tokenizerConfig: Record<string, unknown> = { clean_up_tokenization_spaces: false };
  for (const [name, key] of [
    ["bos_token", "tokenizer.ggml.bos_token_id"],
    ["eos_token", "tokenizer.ggml.eos_token_id"],
    ["pad_token", "tokenizer.ggml.padding_token_id"],
  ] as const) {
    const text = tokenAt(key);
    if (text !== undefined) tokenizerConfig[name] = text;
  }
  if (typeof metadata["tokenizer.chat_template"] === "string") {
    tokenizerConfig.chat_template = metadata["tokenizer.chat_template"];
  }
  const eosIds = ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"]
    .map((key) => optionalNumber(metadata, key))
    .filter((id): id is number => id !== undefined);
  return { tokenizerJson, tokenizerConfig, generationConfig: { eos_token_id: [...new Set(eosIds)] } };
}
