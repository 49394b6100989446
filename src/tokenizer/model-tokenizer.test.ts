import { describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { TokenizerError } from "./errors.ts";
import { loadTokenizer } from "./load.ts";
import { ModelTokenizer } from "./model-tokenizer.ts";
import { LLAMA31_TEMPLATE_PATH, lenmlTokenizer, llama31Files, tempModelDir } from "./testdata/fixtures.ts";

const MODELS = ["qwen3", "llama3_1", "gemma3"] as const;
const TEXTS = {
  ascii: "The quick brown fox jumps over the lazy dog. 1234567 + 89 = ?",
  cjk: "東京は日本の首都です。我爱北京天安门！한국어 문장",
  emoji: "🎉 party 👨‍👩‍👧 family 🇯🇵 flag ✅",
  whitespace: "  indented\n\tcode();\n\n  end ",
};

describe.each(MODELS)("%s encode/decode", (name) => {
  test.each(Object.entries(TEXTS))("round trip: %s", async (_kind, text) => {
    const tok = await lenmlTokenizer(name);
    const ids = tok.encode(text, { addSpecialTokens: false });
    expect(ids.length).toBeGreaterThan(0);
    expect(tok.decode(ids)).toBe(text);
  });

  test("idToToken and tokenToId invert each other; vocabSize bounds ids", async () => {
    const tok = await lenmlTokenizer(name);
    for (const id of tok.encode(TEXTS.emoji, { addSpecialTokens: false })) {
      expect(tok.tokenToId(tok.idToToken(id)!)).toBe(id);
      expect(id).toBeLessThan(tok.vocabSize);
    }
    expect(() => tok.decode([tok.vocabSize])).toThrow(TokenizerError);
    expect(tok.decode([])).toBe("");
  });
});

describe("known ids and special tokens", () => {
  test("Qwen3: no BOS, <|im_end|> is EOS, <tool_call> is not special", async () => {
    const tok = await lenmlTokenizer("qwen3");
    expect(tok.encode("Hello")).toEqual([9707]);
    expect(tok.bosTokenId).toBeUndefined();
    expect([...tok.eosTokenIds]).toEqual([151645]);
    expect(tok.vocabSize).toBe(151669);
    const toolCall = tok.tokenToId("<tool_call>")!;
    expect(tok.isSpecial(toolCall)).toBe(false);
    expect(tok.specialTokens.has("<|im_start|>")).toBe(true);
    const ids = [151644, ...tok.encode("Hi"), toolCall, 151645];
    expect(tok.decode(ids)).toBe("<|im_start|>Hi<tool_call><|im_end|>");
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe("Hi<tool_call>");
  });

  test("Llama 3.1: BOS is added once, never doubled", async () => {
    const tok = await lenmlTokenizer("llama3_1");
    expect(tok.bosTokenId).toBe(128000);
    expect(tok.encode("Hello")).toEqual([128000, 9906]);
    expect(tok.encode("Hello", { addSpecialTokens: false })).toEqual([9906]);
    expect(tok.encode("<|begin_of_text|>Hello")).toEqual([128000, 9906]);
    const chat = tok.encodeChat([{ role: "user", content: "Hello" }]);
    expect(chat.filter((id) => id === 128000)).toHaveLength(1);
    expect(chat[0]).toBe(128000);
    expect(chat).toEqual(tok.encode(tok.applyChatTemplate([{ role: "user", content: "Hello" }]), { addSpecialTokens: false }));
  });

  test("Gemma 3: the template's <bos> is not doubled by the post-processor", async () => {
    const tok = await lenmlTokenizer("gemma3");
    expect(tok.bosTokenId).toBe(2);
    const chat = tok.encodeChat([{ role: "user", content: "Hello" }]);
    expect(chat.slice(0, 2)).toEqual([2, 105]);
    expect(chat.filter((id) => id === 2)).toHaveLength(1);
  });

  test("clean_up_tokenization_spaces is opt-in", async () => {
    const tok = await lenmlTokenizer("llama3_1");
    const ids = tok.encode("Hello , world .", { addSpecialTokens: false });
    expect(tok.decode(ids)).toBe("Hello , world .");
    expect(tok.decode(ids, { cleanUpTokenizationSpaces: true })).toBe("Hello, world.");
  });
});

describe("loadTokenizer", () => {
  test("the EOS set is the union with generation_config's list", async () => {
    const dir = await tempModelDir("llama3_1");
    await writeFile(join(dir, "generation_config.json"), JSON.stringify({ bos_token_id: 128000, eos_token_id: [128001, 128008, 128009] }));
    const tok = await loadTokenizer(dir);
    expect([...tok.eosTokenIds].sort()).toEqual([128001, 128008, 128009]);
  });

  test("Llama 3.1 EOS set holds <|end_of_text|>, <|eom_id|> and <|eot_id|>", async () => {
    const tok = ModelTokenizer.fromObjects(await llama31Files());
    const named = ["<|end_of_text|>", "<|eom_id|>", "<|eot_id|>"].map((t) => tok.tokenToId(t));
    expect(named).toEqual([128001, 128008, 128009]);
    expect([...tok.eosTokenIds].sort()).toEqual([128001, 128008, 128009]);
    expect(tok.eosTokenIds.has(tok.tokenToId("<|python_tag|>")!)).toBe(false);
  });

  test("a numeric generation_config eos_token_id joins tokenizer_config's eos_token", async () => {
    const dir = await tempModelDir("qwen3");
    await writeFile(join(dir, "generation_config.json"), JSON.stringify({ eos_token_id: 151643 }));
    const tok = await loadTokenizer(dir);
    expect([...tok.eosTokenIds].sort()).toEqual([151643, 151645]);
  });

  test("chat_template.jinja overrides chat_template.json, which overrides tokenizer_config", async () => {
    const dir = await tempModelDir("llama3_1");
    const before = (await loadTokenizer(dir)).applyChatTemplate([{ role: "user", content: "x" }]);
    expect(before).not.toContain("Cutting Knowledge Date");
    await writeFile(join(dir, "chat_template.json"), JSON.stringify({ chat_template: "json:{{ messages[0].content }}" }));
    expect((await loadTokenizer(dir)).applyChatTemplate([{ role: "user", content: "x" }])).toBe("json:x");
    await writeFile(join(dir, "chat_template.jinja"), await Bun.file(LLAMA31_TEMPLATE_PATH).text());
    const after = (await loadTokenizer(dir)).applyChatTemplate([{ role: "user", content: "x" }]);
    expect(after).toContain("Cutting Knowledge Date: December 2023\n");
  });

  test("special_tokens_map fills tokens the config lacks, in AddedToken form", async () => {
    const dir = await tempModelDir("qwen3", false);
    await writeFile(join(dir, "special_tokens_map.json"), JSON.stringify({ eos_token: { content: "<|im_end|>", special: true } }));
    const tok = await loadTokenizer(dir);
    expect([...tok.eosTokenIds]).toEqual([151645]);
    expect(tok.chatTemplate.isFallback).toBe(true);
  });

  test("missing or malformed files raise TokenizerError", async () => {
    const empty = await tempModelDir("qwen3");
    await writeFile(join(empty, "generation_config.json"), "{not json");
    expect(loadTokenizer(empty)).rejects.toBeInstanceOf(TokenizerError);
    expect(loadTokenizer(join(empty, "nope"))).rejects.toBeInstanceOf(TokenizerError);
  });
});
