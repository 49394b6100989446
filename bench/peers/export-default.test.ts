/**
 * The exported directory is the default model: our loader on it generates what it generates from the GGUF, and
 * its tokenizer.json encodes as the GGUF's tokenizer does.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { generate } from "../../src/engine/runner/generate.ts";
import { GREEDY } from "../../src/engine/sampling/params.ts";
import { defaultModelPath } from "../../src/models/default-model.ts";
import { loadModel, type LoadedModelWithTokenizer } from "../../src/models/load-any.ts";
import { exportGguf } from "./export-default.ts";

const CHAT = [{ role: "user" as const, content: "What is the capital of France?" }];
const TEXTS = [
  "Hello, world!",
  "In 2024, 1234567 people paid $3.50 each.",
  "Grüße aus München — 東京 🙂 naïve café",
  "  leading spaces\n\nand\ttabs  ",
  "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n",
  "<|endoftext|>3.14159<repo_name>",
];

let dir = "";
let gguf: LoadedModelWithTokenizer;
let exported: LoadedModelWithTokenizer;

beforeAll(async () => {
  const path = await defaultModelPath();
  dir = mkdtempSync(join(os.tmpdir(), "vllm-mlx-export-"));
  exportGguf(path, dir);
  gguf = await loadModel(path);
  exported = await loadModel(dir);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function greedy(m: LoadedModelWithTokenizer, prompt: number[], maxTokens: number): number[] {
  return [...generate(m.model, prompt, { maxTokens, sampling: GREEDY, stopTokenIds: new Set() })].map((t) => t.token);
}

describe("export-default (SmolLM2-135M-Instruct Q4_1 GGUF -> MLX directory)", () => {
  test("writes an HF-layout Llama config with the GGUF's quantization", () => {
    expect(exported.format).toBe("directory");
    expect(exported.hfConfig.rope_traditional).toBeUndefined();
    expect(exported.hfConfig).toMatchObject({
      architectures: ["LlamaForCausalLM"],
      model_type: "llama",
      num_hidden_layers: 30,
      hidden_size: 576,
      tie_word_embeddings: true,
      quantization: gguf.hfConfig.quantization!,
    });
  });

  test("generates the GGUF's greedy tokens for a chat prompt", () => {
    const prompt = gguf.tokenizer.encodeChat(CHAT);
    expect(exported.tokenizer.encodeChat(CHAT)).toEqual(prompt);
    const fromGguf = greedy(gguf, prompt, 16);
    expect(gguf.tokenizer.decode(fromGguf)).toStartWith("The capital of France is Paris.");
    expect(greedy(exported, prompt, 16)).toEqual(fromGguf);
  }, 60_000);

  test("tokenizer.json encodes digits, unicode and special tokens as the GGUF's tokenizer does", () => {
    for (const text of TEXTS) {
      const ids = gguf.tokenizer.encode(text);
      expect(exported.tokenizer.encode(text)).toEqual(ids);
      expect(exported.tokenizer.decode(ids)).toBe(text);
    }
    expect(exported.tokenizer.eosTokenIds).toEqual(gguf.tokenizer.eosTokenIds);
    expect(exported.tokenizer.bosTokenId).toBe(gguf.tokenizer.bosTokenId!);
  });
});
