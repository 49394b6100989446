import { describe, expect, test } from "bun:test";
import { generate } from "../engine/runner/generate.ts";
import { GREEDY } from "../engine/sampling/params.ts";
import { defaultModelPath } from "./default-model.ts";
import { loadModel } from "./load-any.ts";

describe("the default model (SmolLM2-135M-Instruct Q4_1 GGUF)", () => {
  test("loads with 4-bit layers, an 8-bit tied embedding, and answers a chat question", async () => {
    const path = await defaultModelPath();
    const started = performance.now();
    const { model, tokenizer, hfConfig, format } = await loadModel(path);
    const loadMs = performance.now() - started;
    expect(format).toBe("gguf");
    expect(hfConfig).toMatchObject({
      model_type: "llama",
      num_hidden_layers: 30,
      hidden_size: 576,
      num_attention_heads: 9,
      num_key_value_heads: 3,
      vocab_size: 49152,
      rope_theta: 100000,
      rope_traditional: true,
      tie_word_embeddings: true,
    });
    expect(hfConfig.quantization).toEqual({
      group_size: 32,
      bits: 4,
      mode: "affine",
      "model.embed_tokens": { group_size: 32, bits: 8, mode: "affine" },
    });

    const prompt = tokenizer.encodeChat([{ role: "user", content: "What is the capital of France?" }]);
    expect(tokenizer.decode(prompt)).toEndWith("<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n");
    const out: number[] = [];
    const t0 = performance.now();
    let firstAt = 0;
    for (const t of generate(model, prompt, { maxTokens: 32, sampling: GREEDY, stopTokenIds: tokenizer.eosTokenIds })) {
      if (out.length === 0) firstAt = performance.now();
      out.push(t.token);
    }
    const doneAt = performance.now();
    const answer = tokenizer.decode(out, { skipSpecialTokens: true });
    const decodeRate = out.length > 1 ? ((out.length - 1) * 1000) / (doneAt - firstAt) : 0;
    console.log(
      `default model: ${JSON.stringify(answer)} (load ${loadMs.toFixed(0)} ms, prompt ${prompt.length} tokens, ` +
        `first token ${(firstAt - t0).toFixed(0)} ms, decode ${decodeRate.toFixed(1)} tok/s over ${out.length} tokens)`,
    );
    expect(answer).toContain("Paris");
    expect(tokenizer.eosTokenIds.has(out.at(-1)!) || out.length === 32).toBe(true);
  }, 120_000);
});
