/**
 * The default model (SmolLM2-135M-Instruct, Q4_1 GGUF) as an MLX model directory, so that mlx_lm.server and
 * Python vllm-mlx, which cannot read GGUF, serve the very weights we serve.
 *
 * Lossless. MLX reads Q4_1 blocks (w = d*q + m, 32 wide) as affine 4-bit, group 32, and Q8_0 blocks (w = d*q) as
 * affine 8-bit, group 32 (bias -128*d, q + 128): MLX's own packed layout, written out as read. The one Q8_0
 * tensor (the tied embedding) gets a per-module entry in config.json's `quantization`, which mlx-lm's loader
 * honours. F32 norms stay float32. llama.cpp stores Llama Q/K rows permuted for interleaved RoPE (our GGUF
 * loader runs traditional RoPE on them instead); here the rows go back to HF's order, so the directory is an
 * ordinary HF-layout checkpoint with default RoPE. The tokenizer is the one our GGUF loader builds.
 *
 *   bun bench/peers/export-default.ts --out .cache/bench-models/smollm2-135m-instruct-q4_1
 *   bun bench/peers/export-default.ts --gguf other-llama.Q4_1.gguf --out DIR
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as mx from "../../src/mlx/index.ts";
import type { HfConfig } from "../../src/models/config.ts";
import { defaultModelPath } from "../../src/models/default-model.ts";
import { ggufTokenizerFiles, readGguf } from "../../src/models/gguf.ts";
import type { GgufMetadata } from "../../src/models/gguf-config.ts";

const ARCHITECTURES: Readonly<Record<string, string>> = {
  llama: "LlamaForCausalLM",
  qwen2: "Qwen2ForCausalLM",
  qwen3: "Qwen3ForCausalLM",
};

/**
 * Undoes llama.cpp's rotary permutation of Q/K rows: within each head, GGUF row 2i + s holds HF row s*D/2 + i.
 * Rows are output channels, so the quantized weight, scales and biases all move the same way.
 */
function unpermuteRows(a: mx.Array, heads: number): mx.Array {
  const [rows, cols] = a.shape as [number, number];
  using split = mx.reshape(a, [heads, rows / heads / 2, 2, cols]); // [H, D/2, 2, C]
  using swapped = mx.swapaxes(split, 1, 2); // [H, 2, D/2, C]
  return mx.reshape(swapped, [rows, cols]);
}

function hfTensors(tensors: Map<string, mx.Array>, hf: HfConfig): Map<string, mx.Array> {
  if (hf.rope_traditional !== true) return tensors;
  const out = new Map<string, mx.Array>();
  for (const [name, a] of tensors) {
    const proj = /\.self_attn\.(q|k)_proj\.(weight|scales|biases)$/.exec(name);
    if (!proj) {
      out.set(name, a);
      continue;
    }
    const heads = (proj[1] === "q" ? hf.num_attention_heads : hf.num_key_value_heads) as number;
    out.set(name, unpermuteRows(a, heads));
    a.dispose();
  }
  return out;
}

function tokenId(metadata: GgufMetadata, key: string): number | undefined {
  const v = metadata[`tokenizer.ggml.${key}`];
  return typeof v === "number" ? v : undefined;
}

function configJson(hf: HfConfig, metadata: GgufMetadata): HfConfig {
  const { rope_traditional: _permuted, ...config } = hf;
  const architecture = ARCHITECTURES[hf.model_type as string];
  return {
    ...(architecture ? { architectures: [architecture] } : {}),
    ...config,
    // mlx-lm reads `quantization`; converters write both, and some loaders look for the second.
    ...(hf.quantization ? { quantization_config: hf.quantization } : {}),
    bos_token_id: tokenId(metadata, "bos_token_id"),
    eos_token_id: tokenId(metadata, "eos_token_id"),
  };
}

/** tokenizer_config.json keys that transformers needs to load the tokenizer.json as the GGUF meant it. */
function tokenizerConfigJson(base: Record<string, unknown>, metadata: GgufMetadata): Record<string, unknown> {
  const tokens = metadata["tokenizer.ggml.tokens"] as string[];
  const unk = tokenId(metadata, "unknown_token_id");
  const context = metadata[`${String(metadata["general.architecture"])}.context_length`];
  return {
    // Without it transformers 4 picks the model_type's class, LlamaTokenizerFast (sentencepiece, adds BOS).
    tokenizer_class: "GPT2Tokenizer",
    add_prefix_space: false,
    ...(unk === undefined ? {} : { unk_token: tokens[unk] }),
    ...(typeof context === "number" ? { model_max_length: context } : {}),
    ...base,
  };
}

function writeJson(path: string, value: unknown, indent = 2): void {
  writeFileSync(path, `${JSON.stringify(value, null, indent)}\n`);
}

/**
 * Writes a GGUF model (Llama, Qwen2 or Qwen3 family, BPE tokenizer) to `outDir` as config.json,
 * model.safetensors, tokenizer.json, tokenizer_config.json and generation_config.json. Returns the config.
 *
 * @example
 *   exportGguf(await defaultModelPath(), "/tmp/smollm2"); // then: mlx_lm.server --model /tmp/smollm2
 */
export function exportGguf(ggufPath: string, outDir: string): HfConfig {
  const { hfConfig, tensors: ggufTensors, metadata } = readGguf(ggufPath);
  const tensors = hfTensors(ggufTensors, hfConfig);
  try {
    const files = ggufTokenizerFiles(metadata);
    const config = configJson(hfConfig, metadata);
    mkdirSync(outDir, { recursive: true });
    mx.saveSafetensors(join(outDir, "model.safetensors"), tensors, { format: "mlx" });
    writeJson(join(outDir, "config.json"), config);
    writeJson(join(outDir, "tokenizer.json"), files.tokenizerJson, 0);
    writeJson(join(outDir, "tokenizer_config.json"), tokenizerConfigJson(files.tokenizerConfig, metadata));
    writeJson(join(outDir, "generation_config.json"), {
      bos_token_id: config.bos_token_id,
      ...files.generationConfig,
    });
    return config;
  } finally {
    for (const a of tensors.values()) a.dispose();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { gguf: { type: "string" }, out: { type: "string" } },
  });
  if (!values.out) {
    console.error("usage: bun bench/peers/export-default.ts --out DIR [--gguf FILE (default: the default model)]");
    process.exit(2);
  }
  const gguf = values.gguf ?? (await defaultModelPath());
  const config = exportGguf(gguf, values.out);
  console.log(`wrote ${values.out} from ${gguf}: ${config.model_type}, ${config.num_hidden_layers} layers`);
}
