import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { modelDisplayName } from "./model-name.ts";

const dir = mkdtempSync(join(tmpdir(), "model-name-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("modelDisplayName", () => {
  test("a Hub repo id is the id, without its revision", () => {
    expect(modelDisplayName("mlx-community/Qwen3-0.6B-4bit", dir)).toBe("mlx-community/Qwen3-0.6B-4bit");
    expect(modelDisplayName("mlx-community/Qwen3-0.6B-4bit@main", dir)).toBe("mlx-community/Qwen3-0.6B-4bit");
  });

  test("a folder is its name, however it was written", () => {
    mkdirSync(join(dir, "qwen3-tiny"));
    expect(modelDisplayName("./qwen3-tiny", dir)).toBe("qwen3-tiny");
    expect(modelDisplayName(`${dir}/qwen3-tiny/`, "/")).toBe("qwen3-tiny");
    expect(modelDisplayName("qwen3-tiny", dir)).toBe("qwen3-tiny");
  });

  test("a Hugging Face cache snapshot is its repo id, not the commit hash", () => {
    const snap = "/home/u/.cache/huggingface/hub/models--mlx-community--Qwen3-0.6B-4bit/snapshots/0123abcd";
    expect(modelDisplayName(snap, dir)).toBe("mlx-community/Qwen3-0.6B-4bit");
  });

  test("a .gguf file is its name without .gguf and without a llama.cpp quantization suffix", () => {
    expect(modelDisplayName("/cache/vllm-mlx/models/SmolLM2-135M-Instruct.Q4_1.gguf", dir)).toBe("SmolLM2-135M-Instruct");
    expect(modelDisplayName("./Llama-3.2-1B-Instruct-Q4_K_M.gguf", dir)).toBe("Llama-3.2-1B-Instruct");
    expect(modelDisplayName("phi-3.IQ3_XS.gguf", dir)).toBe("phi-3");
    expect(modelDisplayName("./gemma-2-2b.f16.gguf", dir)).toBe("gemma-2-2b");
    expect(modelDisplayName("./tiny.gguf", dir)).toBe("tiny");
    expect(modelDisplayName("./Q8_0.gguf", dir)).toBe("Q8_0");
  });
});
