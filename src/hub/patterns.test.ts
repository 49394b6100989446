import { describe, expect, test } from "bun:test";
import { matchesPattern, selectFiles } from "./patterns.ts";

const REPO = [
  ".gitattributes",
  "README.md",
  "config.json",
  "generation_config.json",
  "model-00001-of-00002.safetensors",
  "model-00002-of-00002.safetensors",
  "model.safetensors.index.json",
  "pytorch_model.bin",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "chat_template.jinja",
  "onnx/model.onnx",
  "original/consolidated.00.pth",
  "original/params.json",
  "qwen3-0.6b-q4_0.gguf",
];

describe("matchesPattern", () => {
  test("fnmatch semantics", () => {
    expect(matchesPattern("a.safetensors", "*.safetensors")).toBe(true);
    expect(matchesPattern("sub/a.json", "*.json")).toBe(true);
    expect(matchesPattern("a.json.bak", "*.json")).toBe(false);
    expect(matchesPattern("model-1.gguf", "model-?.gguf")).toBe(true);
    expect(matchesPattern("model-12.gguf", "model-?.gguf")).toBe(false);
    expect(matchesPattern("q4_0.gguf", "q[48]_0.gguf")).toBe(true);
    expect(matchesPattern("q5_0.gguf", "q[!48]_0.gguf")).toBe(true);
    expect(matchesPattern("q4_0.gguf", "q[!48]_0.gguf")).toBe(false);
    expect(matchesPattern("a+b(c).json", "a+b(c).json")).toBe(true);
  });
});

describe("selectFiles", () => {
  test("text-model defaults take top-level config, weights and tokenizer files only", () => {
    expect(selectFiles(REPO)).toEqual([
      "config.json",
      "generation_config.json",
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
      "model.safetensors.index.json",
      "tokenizer.json",
      "tokenizer_config.json",
      "special_tokens_map.json",
      "chat_template.jinja",
    ]);
  });

  test("includeGguf adds .gguf files", () => {
    const picked = selectFiles(REPO, { includeGguf: true });
    expect(picked).toContain("qwen3-0.6b-q4_0.gguf");
    expect(picked).not.toContain("README.md");
  });

  test("allowPatterns replace the defaults and match full paths", () => {
    expect(selectFiles(REPO, { allowPatterns: ["*.md", "original/*"] })).toEqual([
      "README.md",
      "original/consolidated.00.pth",
      "original/params.json",
    ]);
  });
});
