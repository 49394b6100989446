import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { TokenizerError } from "./errors.ts";
import { GGUF_TOKEN_TYPE, type GgufMetadata, tokenizerFilesFromGguf, tokenizerJsonFromGguf } from "./gguf.ts";
import { ModelTokenizer } from "./model-tokenizer.ts";
import { lenmlDir, lenmlTokenizer } from "./testdata/fixtures.ts";

interface HfTokenizerJson {
  model: { vocab: Record<string, number>; merges: (string | [string, string])[] };
  added_tokens: { id: number; content: string; special: boolean }[];
}

/** Re-expresses a real tokenizer.json the way a GGUF file stores it: id-ordered tokens, "a b" merges, types. */
async function ggufMetadataFrom(name: "qwen3" | "llama3_1", pre: string): Promise<GgufMetadata> {
  const json = (await Bun.file(join(lenmlDir(name), "tokenizer.json")).json()) as HfTokenizerJson;
  const config = (await Bun.file(join(lenmlDir(name), "tokenizer_config.json")).json()) as Record<string, unknown>;
  const tokens: string[] = [];
  const types: number[] = [];
  for (const [token, id] of Object.entries(json.model.vocab)) [tokens[id], types[id]] = [token, GGUF_TOKEN_TYPE.normal];
  for (const t of json.added_tokens) {
    [tokens[t.id], types[t.id]] = [t.content, t.special ? GGUF_TOKEN_TYPE.control : GGUF_TOKEN_TYPE.userDefined];
  }
  expect(tokens.every((t) => typeof t === "string")).toBe(true);
  const idOf = (text: unknown) => json.added_tokens.find((t) => t.content === text)?.id;
  const metadata: GgufMetadata = {
    "tokenizer.ggml.model": "gpt2",
    "tokenizer.ggml.pre": pre,
    "tokenizer.ggml.tokens": tokens,
    "tokenizer.ggml.merges": json.model.merges.map((m) => (typeof m === "string" ? m : m.join(" "))),
    "tokenizer.ggml.token_type": types,
    "tokenizer.ggml.eos_token_id": idOf(config.eos_token),
    "tokenizer.chat_template": config.chat_template,
  };
  if (typeof config.bos_token === "string") {
    metadata["tokenizer.ggml.bos_token_id"] = idOf(config.bos_token);
    metadata["tokenizer.ggml.add_bos_token"] = true;
  }
  return metadata;
}

const STRINGS = [
  "Hello, world! I'm sure you'll DON'T stop.",
  "Numbers 1234567 and 3.14159, x=42;",
  "東京は日本の首都です。我爱北京天安门！",
  "🎉 party 👨‍👩‍👧 family 🇯🇵 𓀀 café naïve",
  "  indented\n\tcode();\r\n\n  end   ",
];

describe.each([
  ["qwen3", "qwen2", "<|im_start|>user\nHi<|im_end|>"],
  ["llama3_1", "llama-bpe", "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"],
] as const)("%s via GGUF metadata", (name, pre, chatText) => {
  test("encodes exactly like the original tokenizer.json", async () => {
    const original = await lenmlTokenizer(name);
    const converted = ModelTokenizer.fromObjects(tokenizerFilesFromGguf(await ggufMetadataFrom(name, pre)));
    for (const text of [...STRINGS, chatText, STRINGS.join(" ")]) {
      expect(converted.encode(text, { addSpecialTokens: false })).toEqual(original.encode(text, { addSpecialTokens: false }));
      expect(converted.encode(text)).toEqual(original.encode(text));
      const ids = original.encode(text);
      expect(converted.decode(ids)).toBe(original.decode(ids));
    }
    expect(converted.vocabSize).toBe(original.vocabSize);
    expect(converted.bosTokenId).toBe(original.bosTokenId);
    expect(converted.eosTokenIds).toEqual(original.eosTokenIds);
    expect(converted.specialTokenIds).toEqual(original.specialTokenIds);
    const messages = [{ role: "user", content: "Hi" }];
    expect(converted.applyChatTemplate(messages)).toBe(original.applyChatTemplate(messages));
  });
});

describe("tokenizerFilesFromGguf", () => {
  test("eos, eot and eom ids all end generation", () => {
    const metadata: GgufMetadata = {
      "tokenizer.ggml.model": "gpt2",
      "tokenizer.ggml.pre": "llama-bpe",
      "tokenizer.ggml.tokens": ["a", "b", "ab", "<eos>", "<eot>", "<eom>"],
      "tokenizer.ggml.merges": ["a b"],
      "tokenizer.ggml.token_type": [1, 1, 1, 3, 3, 3],
      "tokenizer.ggml.eos_token_id": 3,
      "tokenizer.ggml.eot_token_id": 4,
      "tokenizer.ggml.eom_token_id": 5n,
    };
    const tok = ModelTokenizer.fromObjects(tokenizerFilesFromGguf(metadata));
    expect([...tok.eosTokenIds].sort()).toEqual([3, 4, 5]);
    expect(tok.encode("ab<eot>")).toEqual([2, 4]);
    expect(tok.chatTemplate.isFallback).toBe(true);
  });

  test("unsupported models and pre-tokenizers raise TokenizerError", () => {
    const base = { "tokenizer.ggml.tokens": ["a"], "tokenizer.ggml.merges": [] };
    expect(() => tokenizerJsonFromGguf({ ...base, "tokenizer.ggml.model": "llama" })).toThrow(TokenizerError);
    expect(() => tokenizerJsonFromGguf({ ...base, "tokenizer.ggml.model": "gpt2", "tokenizer.ggml.pre": "mystery" })).toThrow(
      'unsupported GGUF pre-tokenizer "mystery"',
    );
    expect(() => tokenizerJsonFromGguf({ "tokenizer.ggml.model": "gpt2", "tokenizer.ggml.tokens": "x" })).toThrow(TokenizerError);
  });
});
