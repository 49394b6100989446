import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as mx from "../mlx/index.ts";
import { ConfigError } from "./config.ts";
import { GgufError, ggufTokenizer, ggufTokenizerFiles, loadGgufModel, readGguf } from "./gguf.ts";
import { ggufToHfName, hfConfigFromGguf, quantizationFromShapes } from "./gguf-config.ts";
import { tinyTokenizerMetadata, writeTinyModel } from "./gguf-testing.ts";
import { loadModelDir } from "./load.ts";
import { loadModel } from "./load-any.ts";

const dir = mkdtempSync(join(tmpdir(), "gguf-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LLAMA_META = {
  "general.architecture": "llama",
  "llama.block_count": 30,
  "llama.embedding_length": 576,
  "llama.feed_forward_length": 1536,
  "llama.attention.head_count": 9,
  "llama.attention.head_count_kv": 3,
  "llama.rope.freq_base": 100000,
  "llama.rope.dimension_count": 64,
  "llama.attention.layer_norm_rms_epsilon": 0.00001,
  "llama.context_length": 8192,
  "tokenizer.ggml.tokens": Array.from({ length: 49152 }, (_, i) => `t${i}`),
};

describe("GGUF names and config", () => {
  test("tensor names map to HF names", () => {
    expect(ggufToHfName("token_embd.weight")).toBe("model.embed_tokens.weight");
    expect(ggufToHfName("token_embd.scales")).toBe("model.embed_tokens.scales");
    expect(ggufToHfName("blk.12.attn_q.biases")).toBe("model.layers.12.self_attn.q_proj.biases");
    expect(ggufToHfName("blk.0.attn_k.bias")).toBe("model.layers.0.self_attn.k_proj.bias");
    expect(ggufToHfName("blk.3.attn_output.weight")).toBe("model.layers.3.self_attn.o_proj.weight");
    expect(ggufToHfName("blk.3.attn_q_norm.weight")).toBe("model.layers.3.self_attn.q_norm.weight");
    expect(ggufToHfName("blk.1.ffn_gate.weight")).toBe("model.layers.1.mlp.gate_proj.weight");
    expect(ggufToHfName("blk.1.ffn_up.weight")).toBe("model.layers.1.mlp.up_proj.weight");
    expect(ggufToHfName("blk.1.ffn_down.scales")).toBe("model.layers.1.mlp.down_proj.scales");
    expect(ggufToHfName("blk.1.attn_norm.weight")).toBe("model.layers.1.input_layernorm.weight");
    expect(ggufToHfName("blk.1.ffn_norm.weight")).toBe("model.layers.1.post_attention_layernorm.weight");
    expect(ggufToHfName("output_norm.weight")).toBe("model.norm.weight");
    expect(ggufToHfName("output.weight")).toBe("lm_head.weight");
    expect(ggufToHfName("rope_freqs.weight")).toBeNull();
    expect(ggufToHfName("blk.1.ffn_gate_exps.weight")).toBeNull();
  });

  test("llama metadata becomes an HF config with traditional rope; tying follows output.weight", () => {
    const hf = hfConfigFromGguf(LLAMA_META, new Set(["model.embed_tokens.weight"]));
    expect(hf).toEqual({
      model_type: "llama",
      vocab_size: 49152,
      hidden_size: 576,
      num_hidden_layers: 30,
      intermediate_size: 1536,
      num_attention_heads: 9,
      num_key_value_heads: 3,
      head_dim: 64,
      rms_norm_eps: 0.00001,
      rope_theta: 100000,
      rope_traditional: true,
      rope_scaling: null,
      max_position_embeddings: 8192,
      tie_word_embeddings: true,
      attention_bias: false,
    });
    expect(hfConfigFromGguf(LLAMA_META, new Set(["lm_head.weight"])).tie_word_embeddings).toBe(false);
  });

  test("qwen3 takes head_dim from key_length and keeps non-traditional rope; qwen2 biases are detected", () => {
    const meta = Object.fromEntries(Object.entries(LLAMA_META).map(([k, v]) => [k.replace(/^llama\./, "qwen3."), v]));
    meta["general.architecture"] = "qwen3";
    meta["qwen3.attention.key_length"] = 128;
    meta["qwen3.rope.dimension_count"] = 128;
    const hf = hfConfigFromGguf(meta, new Set());
    expect([hf.model_type, hf.head_dim, hf.rope_traditional]).toEqual(["qwen3", 128, false]);
    meta["general.architecture"] = "qwen2";
    const q2 = hfConfigFromGguf(
      Object.fromEntries(Object.entries(meta).map(([k, v]) => [k.replace(/^qwen3\./, "qwen2."), v])),
      new Set(["model.layers.0.self_attn.q_proj.bias"]),
    );
    expect([q2.model_type, q2.attention_bias]).toEqual(["qwen2", true]);
  });

  test("unknown architectures, missing keys and unsupported rope are ConfigErrors", () => {
    expect(() => hfConfigFromGguf({ ...LLAMA_META, "general.architecture": "mamba" }, new Set())).toThrow(ConfigError);
    expect(() => hfConfigFromGguf({ ...LLAMA_META, "general.architecture": "mamba" }, new Set())).toThrow(/'mamba'/);
    const { "llama.block_count": _, ...noBlocks } = LLAMA_META;
    expect(() => hfConfigFromGguf(noBlocks, new Set())).toThrow(/llama\.block_count/);
    expect(() => hfConfigFromGguf(LLAMA_META, new Set(["rope_freqs.weight"]))).toThrow(ConfigError);
    expect(() => hfConfigFromGguf({ ...LLAMA_META, "llama.rope.dimension_count": 32 }, new Set())).toThrow(/partial rotary/);
  });

  test("quantization is read off packed shapes: the common pair is the default, others are overrides", () => {
    const hf = { hidden_size: 64, intermediate_size: 96, num_attention_heads: 4, head_dim: 16 };
    const tensors = new Map<string, mx.Array>();
    const add = (module: string, out: number, inDims: number, bits: number, groupSize: number) => {
      using w = mx.uniform(-1, 1, [out, inDims], "float32", mx.randomKey(out + inDims + bits));
      const q = mx.quantize(w, { bits, groupSize });
      tensors.set(`${module}.weight`, q.wq).set(`${module}.scales`, q.scales).set(`${module}.biases`, q.biases!);
    };
    add("model.embed_tokens", 100, 64, 8, 32);
    add("model.layers.0.self_attn.q_proj", 64, 64, 4, 32);
    add("model.layers.0.self_attn.o_proj", 64, 64, 4, 32);
    add("model.layers.0.mlp.down_proj", 64, 96, 4, 32);
    add("model.layers.0.mlp.up_proj", 96, 64, 6, 64);
    expect(quantizationFromShapes(hf, tensors)).toEqual({
      group_size: 32,
      bits: 4,
      mode: "affine",
      "model.embed_tokens": { group_size: 32, bits: 8, mode: "affine" },
      "model.layers.0.mlp.up_proj": { group_size: 64, bits: 6, mode: "affine" },
    });
    expect(quantizationFromShapes(hf, new Map())).toBeNull();
    for (const a of tensors.values()) a.dispose();
  });
});

describe("tiny GGUF against the same weights as safetensors", () => {
  const tokens = [5, 17, 2, 90, 33, 64, 8, 8, 41];
  for (const opts of [{ arch: "llama" }, { arch: "llama", untied: true }, { arch: "qwen2" }, { arch: "qwen3" }] as const) {
    test(`${opts.arch}${"untied" in opts ? " (untied head)" : ""}: identical logits`, async () => {
      const sub = join(dir, `${opts.arch}-${"untied" in opts}`);
      mkdirSync(sub);
      const { gguf, hfDir } = await writeTinyModel(sub, opts);
      const fromGguf = loadGgufModel(gguf);
      expect(fromGguf.hfConfig.rope_traditional).toBe(opts.arch === "llama");
      expect(fromGguf.hfConfig.tie_word_embeddings).toBe(!("untied" in opts));
      expect(fromGguf.hfConfig.quantization).toBeUndefined();
      const dirModel = await loadModelDir(hfDir);
      using input = mx.array(tokens, { dtype: "int32", shape: [1, tokens.length] });
      using a = fromGguf.model.forward(input, fromGguf.model.makeCache());
      using b = dirModel.model.forward(input, dirModel.model.makeCache());
      expect(a.shape).toEqual([1, tokens.length, 98]);
      using diff = mx.abs(mx.subtract(a, b));
      using maxDiff = mx.max(diff);
      expect(maxDiff.item()).toBe(0);
      using hi = mx.max(a);
      using lo = mx.min(a);
      expect(hi.item() - lo.item()).toBeGreaterThan(0.1);
    });
  }

  test("loadModel takes either form; both tokenizers agree and the GGUF one splits digits", async () => {
    const sub = join(dir, "facade");
    mkdirSync(sub);
    const { gguf, hfDir } = await writeTinyModel(sub, { arch: "llama" });
    const g = await loadModel(gguf);
    const d = await loadModel(hfDir);
    expect([g.format, d.format]).toEqual(["gguf", "directory"]);
    expect(g.path).toBe(gguf);
    expect(g.tokenizer.encode("he said hello")).toEqual(d.tokenizer.encode("he said hello"));
    expect(g.tokenizer.encode("he").length).toBe(1);
    expect(g.tokenizer.encode("123").length).toBe(3);
    expect([...g.tokenizer.eosTokenIds]).toEqual([1]);
    expect(g.tokenizer.applyChatTemplate([{ role: "user", content: "hi" }])).toBe("user:hi\n");
  });
});

describe("GGUF errors", () => {
  test("a missing file, a non-GGUF file and a non-.gguf path are GgufErrors naming the file", async () => {
    const missing = join(dir, "missing.gguf");
    expect(() => readGguf(missing)).toThrow(GgufError);
    expect(() => readGguf(missing)).toThrow(missing);
    const bad = join(dir, "bad.gguf");
    writeFileSync(bad, "this is not a gguf file, only text pretending to be one".repeat(4));
    expect(() => readGguf(bad)).toThrow(GgufError);
    expect(() => readGguf(bad)).toThrow(bad);
    const txt = join(dir, "weights.bin");
    writeFileSync(txt, "x");
    await expect(loadModel(txt)).rejects.toThrow(GgufError);
    await expect(loadModel(join(dir, "nowhere"))).rejects.toThrow(ConfigError);
  });

  test("an unknown architecture is a ConfigError; an unmappable tensor is a GgufError", () => {
    using w = mx.array([1, 2, 3, 4], { dtype: "float32" });
    const arch = join(dir, "mamba.gguf");
    mx.saveGguf(arch, { "token_embd.weight": w }, { "general.architecture": "mamba" });
    expect(() => loadGgufModel(arch)).toThrow(ConfigError);
    const odd = join(dir, "odd.gguf");
    mx.saveGguf(odd, { "blk.0.ssm_conv1d.weight": w }, { "general.architecture": "llama" });
    expect(() => loadGgufModel(odd)).toThrow(/odd\.gguf: tensor 'blk\.0\.ssm_conv1d\.weight'/);
  });

  test("an unsupported tokenizer names the file", () => {
    const meta = { ...tinyTokenizerMetadata(), "tokenizer.ggml.model": "llama" };
    expect(() => ggufTokenizerFiles(meta)).toThrow(/only "gpt2"/);
    expect(() => ggufTokenizer("/m/x.gguf", meta)).toThrow(GgufError);
    expect(() => ggufTokenizer("/m/x.gguf", meta)).toThrow(/^\/m\/x\.gguf: tokenizer: /);
  });
});
