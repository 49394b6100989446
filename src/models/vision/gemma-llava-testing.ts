/**
 * Random-weight Gemma 3 and LLaVA folders at tiny shapes, in mlx-vlm's layout and names (full precision), for
 * tests and fixtures: config.json plus model.safetensors.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as mx from "../../mlx/index.ts";

export const TINY_TEXT = {
  hidden_size: 64, num_hidden_layers: 2, intermediate_size: 128, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 16,
  vocab_size: 512, max_position_embeddings: 4096,
};
export const TINY_VISION = { hidden_size: 64, intermediate_size: 128, num_attention_heads: 4, image_size: 32, patch_size: 4, num_channels: 3 };
export const TINY_IMAGE_TOKEN = 300;

/** The vocabulary a folder's config and embeddings use: the tiny one here, a real tokenizer's in `servable-vlm.ts`. */
export interface TinyVocab {
  vocabSize: number;
  imageToken: number;
  /** Gemma 3's `<start_of_image>` / `<end_of_image>`. */
  boiToken: number;
  eoiToken: number;
}
export const TINY_VOCAB: TinyVocab = { vocabSize: TINY_TEXT.vocab_size, imageToken: TINY_IMAGE_TOKEN, boiToken: 298, eoiToken: 299 };

type Shapes = Record<string, number[]>;

function towerShapes(p: string, layers: number, clip: boolean): Shapes {
  const { hidden_size: D, intermediate_size: I, patch_size: P, num_channels: C, image_size: S } = TINY_VISION;
  const n = (S / P) ** 2 + (clip ? 1 : 0);
  const s: Shapes = { [`${p}.embeddings.patch_embedding.weight`]: [D, P, P, C], [`${p}.embeddings.position_embedding.weight`]: [n, D] };
  if (clip) Object.assign(s, { [`${p}.embeddings.class_embedding`]: [D], [`${p}.pre_layrnorm.weight`]: [D], [`${p}.pre_layrnorm.bias`]: [D] });
  else s[`${p}.embeddings.patch_embedding.bias`] = [D];
  for (let i = 0; i < layers; i++) {
    const l = `${p}.encoder.layers.${i}`;
    for (const n of ["layer_norm1", "layer_norm2"]) Object.assign(s, { [`${l}.${n}.weight`]: [D], [`${l}.${n}.bias`]: [D] });
    for (const n of ["q_proj", "k_proj", "v_proj", "out_proj"]) Object.assign(s, { [`${l}.self_attn.${n}.weight`]: [D, D], [`${l}.self_attn.${n}.bias`]: [D] });
    Object.assign(s, { [`${l}.mlp.fc1.weight`]: [I, D], [`${l}.mlp.fc1.bias`]: [I], [`${l}.mlp.fc2.weight`]: [D, I], [`${l}.mlp.fc2.bias`]: [D] });
  }
  return Object.assign(s, { [`${p}.post_layernorm.weight`]: [D], [`${p}.post_layernorm.bias`]: [D] });
}

function textShapes(gemma: boolean, V: number): Shapes {
  const { hidden_size: D, intermediate_size: I, num_attention_heads: H, num_key_value_heads: K, head_dim: hd } = TINY_TEXT;
  const m = "language_model.model";
  const s: Shapes = { [`${m}.embed_tokens.weight`]: [V, D], [`${m}.norm.weight`]: [D] };
  const norms = gemma ? ["input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm"]
    : ["input_layernorm", "post_attention_layernorm"];
  for (let i = 0; i < TINY_TEXT.num_hidden_layers; i++) {
    const l = `${m}.layers.${i}`;
    Object.assign(s, {
      [`${l}.self_attn.q_proj.weight`]: [H * hd, D], [`${l}.self_attn.k_proj.weight`]: [K * hd, D], [`${l}.self_attn.v_proj.weight`]: [K * hd, D],
      [`${l}.self_attn.o_proj.weight`]: [D, H * hd], [`${l}.mlp.gate_proj.weight`]: [I, D], [`${l}.mlp.up_proj.weight`]: [I, D], [`${l}.mlp.down_proj.weight`]: [D, I],
    });
    for (const n of norms) s[`${l}.${n}.weight`] = [D];
    if (gemma) Object.assign(s, { [`${l}.self_attn.q_norm.weight`]: [hd], [`${l}.self_attn.k_norm.weight`]: [hd] });
  }
  if (!gemma) s["language_model.lm_head.weight"] = [V, D];
  return s;
}

export type TinyVlmArch = "gemma3" | "llava" | "llava_next";

/** LLaVA-NeXT's grid pinpoints at the tiny 32-pixel tile: 1x2, 2x1, 2x2, 3x1 and 1x3 tiles (`[height, width]`). */
export const TINY_PINPOINTS: [number, number][] = [[32, 64], [64, 32], [64, 64], [96, 32], [32, 96]];

/** The config.json of a tiny `gemma3`, `llava` or `llava_next` folder. */
export function tinyConfig(arch: TinyVlmArch, vocab: TinyVocab = TINY_VOCAB): Record<string, unknown> {
  const text = { ...TINY_TEXT, vocab_size: vocab.vocabSize };
  if (arch === "gemma3") {
    return {
      model_type: "gemma3", image_token_index: vocab.imageToken, boi_token_index: vocab.boiToken, eoi_token_index: vocab.eoiToken, mm_tokens_per_image: 16,
      text_config: { ...text, model_type: "gemma3_text", query_pre_attn_scalar: 16, sliding_window: 16, sliding_window_pattern: 2,
        rope_local_base_freq: 10000, rope_global_base_freq: 1000000, mm_tokens_per_image: 16, rms_norm_eps: 1e-6 },
      vision_config: { ...TINY_VISION, model_type: "siglip_vision_model", num_hidden_layers: 2, layer_norm_eps: 1e-6 },
    };
  }
  return {
    model_type: arch, image_token_index: vocab.imageToken, ...(arch === "llava_next" ? { image_grid_pinpoints: TINY_PINPOINTS } : {}), vision_feature_layer: -2, vision_feature_select_strategy: "default",
    text_config: { ...text, model_type: "llama", rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: false },
    vision_config: { ...TINY_VISION, model_type: "clip_vision_model", num_hidden_layers: 3, layer_norm_eps: 1e-5 },
  };
}

/**
 * Writes a random-weight folder for `arch` into `dir` (normal weights scaled by 0.2; norms near 1).
 *
 * @example
 *   writeTinyVlm(dir, "llava"); // then loadGemmaLlavaDir(dir)
 */
export function writeTinyVlm(dir: string, arch: TinyVlmArch, seed = 0, bits?: 4 | 8, vocab: TinyVocab = TINY_VOCAB): void {
  mkdirSync(dir, { recursive: true });
  const gemma = arch === "gemma3";
  const shapes: Shapes = { ...towerShapes("vision_tower.vision_model", gemma ? 2 : 3, !gemma), ...textShapes(gemma, vocab.vocabSize) };
  const D = TINY_VISION.hidden_size;
  if (gemma) Object.assign(shapes, { "multi_modal_projector.mm_input_projection_weight": [D, TINY_TEXT.hidden_size], "multi_modal_projector.mm_soft_emb_norm.weight": [D] });
  else {
    const T = TINY_TEXT.hidden_size;
    Object.assign(shapes, { "multi_modal_projector.linear_1.weight": [T, D], "multi_modal_projector.linear_1.bias": [T],
      "multi_modal_projector.linear_2.weight": [T, T], "multi_modal_projector.linear_2.bias": [T] });
    if (arch === "llava_next") shapes.image_newline = [T];
  }
  mx.seed(seed);
  const arrays = new Map<string, mx.Array>();
  for (const [name, shape] of Object.entries(shapes)) {
    // 1-D weights of LayerNorms / RMSNorms near 1 (Gemma's (1 + w) near 0); everything else N(0, 0.2).
    const isNormWeight = shape.length === 1 && name.endsWith("norm.weight") || name.includes("layernorm") && name.endsWith(".weight");
    const loc = isNormWeight && !(gemma && name.startsWith("language_model")) && !name.includes("mm_soft_emb_norm") ? 1 : 0;
    arrays.set(name, mx.normal(shape, "float32", undefined, loc, 0.2));
  }
  if (bits) quantizeAll(arrays, bits);
  if (bits && gemma) {
    // mlx-vlm 0.7.10 copies embed_tokens.weight into an unquantized lm_head unless the file has a quantized one.
    for (const part of ["weight", "scales", "biases"]) {
      arrays.set(`language_model.lm_head.${part}`, mx.contiguous(arrays.get(`language_model.model.embed_tokens.${part}`)!));
    }
  }
  mx.saveSafetensors(join(dir, "model.safetensors"), arrays, { format: "mlx" });
  for (const a of arrays.values()) a.dispose();
  const config = tinyConfig(arch, vocab);
  if (bits) config.quantization = { group_size: 64, bits };
  writeFileSync(join(dir, "config.json"), JSON.stringify(config, null, 2));
}

/**
 * Quantizes what mlx-vlm's `nn.quantize` would (linears and embeddings whose input width is a multiple of 64),
 * in place: `name.weight` becomes packed uint32 beside `name.scales` and `name.biases`.
 */
function quantizeAll(arrays: Map<string, mx.Array>, bits: number): void {
  for (const [name, w] of [...arrays]) {
    const skip = w.ndim !== 2 || w.shape[1]! % 64 !== 0 || !name.endsWith(".weight") || name.includes("mm_input_projection");
    if (skip) continue;
    const q = mx.quantize(w, { groupSize: 64, bits });
    const base = name.slice(0, -".weight".length);
    w.dispose();
    arrays.set(name, q.wq);
    arrays.set(`${base}.scales`, q.scales);
    if (q.biases) arrays.set(`${base}.biases`, q.biases);
  }
}
