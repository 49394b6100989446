/**
 * Gemma 3 with images: the SigLIP tower, the multimodal projector (average pool to `mm_tokens_per_image`
 * tokens, Gemma's (1 + w) RMSNorm, a matrix to the text width) and the Gemma 3 text decoder, as mlx-vlm
 * 0.7.10 runs them.
 *
 * Attention over image tokens: HF lets an image's tokens attend to each other bidirectionally during
 * prefill; mlx-vlm 0.7.10's generate passes no mask to the language model (its 4-D mask is computed and
 * dropped), so every token, image tokens included, attends causally (with the sliding window on local
 * layers). We match mlx-vlm: the prompt runs through the plain causal decoder.
 */
import * as mx from "../../mlx/index.ts";
import { RMSNorm } from "../../nn/norm.ts";
import type { WeightStore } from "../../nn/weights.ts";
import { ConfigError, num, type HfConfig } from "../config.ts";
import { DecoderModel, type DecoderSpec } from "../decoder.ts";
import { gemma3Spec } from "../gemma3.ts";
import { mergeFeatures, positionsOf } from "./merge.ts";
import { SiglipVisionTower, visionTowerConfig, type VisionTowerConfig } from "./siglip.ts";
import { subStore } from "./sub-store.ts";
import type { ImageLanguageModel } from "./image-vlm.ts";

export interface Gemma3VisionConfig {
  text: DecoderSpec;
  vision: VisionTowerConfig;
  imageTokenIndex: number;
  mmTokensPerImage: number;
  /** Top-level `hidden_size`, which mlx-vlm divides image features by (its default 2048 when absent). */
  featureScaleHidden: number;
  padTokenId: number;
}

/** mlx-vlm's Gemma 3 text defaults: Google's config.json leaves most keys out of `text_config`. */
const TEXT_DEFAULTS = {
  num_attention_heads: 8,
  head_dim: 256,
  num_key_value_heads: 4,
  vocab_size: 262208,
  rms_norm_eps: 1e-6,
  query_pre_attn_scalar: 256,
  sliding_window: 1024,
  sliding_window_pattern: 6,
  rope_local_base_freq: 10000,
  max_position_embeddings: 4096,
};

export function gemma3VisionConfig(hf: HfConfig): Gemma3VisionConfig {
  const t = (hf.text_config ?? {}) as HfConfig;
  const v = (hf.vision_config ?? null) as HfConfig | null;
  if (!v) throw new ConfigError("config.json: gemma3 with images needs 'vision_config'");
  // mlx-vlm takes the global RoPE base from rope_global_base_freq (default 1e6), not rope_theta.
  const ropeTheta = num(t, "rope_global_base_freq", 1_000_000);
  const textHf: HfConfig = { ...TEXT_DEFAULTS, ...t, model_type: "gemma3_text", rope_theta: ropeTheta, quantization: hf.quantization };
  const mm = num(t, "mm_tokens_per_image", 256);
  const side = Math.round(Math.sqrt(mm));
  const vision = visionTowerConfig(v, { imageSize: 224 });
  const patches = vision.imageSize / vision.patchSize;
  if (side * side !== mm || patches % side !== 0) {
    throw new ConfigError(`mm_tokens_per_image ${mm} must be a square whose side divides ${patches} patches per side`);
  }
  return {
    text: gemma3Spec(textHf),
    vision,
    imageTokenIndex: num(hf, "image_token_index", 262144),
    mmTokensPerImage: mm,
    featureScaleHidden: num(hf, "hidden_size", 2048),
    padTokenId: num(hf, "pad_token_id", 0),
  };
}

/** Average pool to `side x side` tokens, RMSNorm (1 + w), then `[visionHidden, textHidden]`. */
export class Gemma3Projector {
  constructor(readonly norm: RMSNorm, readonly projection: mx.Array, readonly patchesPerSide: number, readonly tokensPerSide: number) {}

  static load(store: WeightStore, c: Gemma3VisionConfig): Gemma3Projector {
    const vh = c.vision.hiddenSize;
    const norm = RMSNorm.load(store, "mm_soft_emb_norm", vh, c.vision.layerNormEps, true);
    const projection = store.get("mm_input_projection_weight", [vh, c.text.config.hiddenSize]);
    return new Gemma3Projector(norm, projection, c.vision.imageSize / c.vision.patchSize, Math.round(Math.sqrt(c.mmTokensPerImage)));
  }

  /** x: [B, P*P, Dv] (row-major patches) -> [B, T, Dt] */
  forward(x: mx.Array): mx.Array {
    const [B, , Dv] = x.shape as [number, number, number];
    const P = this.patchesPerSide;
    const T = this.tokensPerSide;
    const k = P / T;
    using grid = mx.reshape(x, [B, T, k, T, k, Dv]);
    using pooled = mx.mean(grid, [2, 4]); // [B, T, T, Dv]
    using flat = mx.reshape(pooled, [B, T * T, Dv]);
    using normed = this.norm.forward(flat);
    using y = mx.matmul(normed, this.projection);
    return mx.astype(y, x.dtype);
  }
}

export class Gemma3VisionModel implements ImageLanguageModel {
  private constructor(
    readonly config: Gemma3VisionConfig,
    readonly tower: SiglipVisionTower,
    readonly projector: Gemma3Projector,
    readonly text: DecoderModel,
  ) {}

  /** Loads from mlx-vlm's layout (`vision_tower.*`, `multi_modal_projector.*`, `language_model.*`). */
  static load(store: WeightStore, c: Gemma3VisionConfig): Gemma3VisionModel {
    const visionStore = subStore(store, "vision_tower.");
    const tower = SiglipVisionTower.load(visionStore, "vision_model", c.vision);
    visionStore.finish();
    const projStore = subStore(store, "multi_modal_projector.");
    const projector = Gemma3Projector.load(projStore, c);
    projStore.finish();
    const textStore = subStore(store, "language_model.");
    // Gemma 3 ties its head unless the checkpoint carries lm_head (as mlx-vlm's 4-bit files may).
    c.text.config.tieWordEmbeddings = !textStore.has("lm_head.weight");
    for (const n of textStore.names()) if (n.includes("self_attn.rotary_emb.inv_freq")) textStore.drop(n);
    const text = DecoderModel.load(textStore, c.text);
    store.finish();
    return new Gemma3VisionModel(c, tower, projector, text);
  }

  get imageTokenId(): number {
    return this.config.imageTokenIndex;
  }

  /** pixels: [N, 3, S, S] -> [N, mm_tokens_per_image, textHidden] */
  encodeImages(pixels: mx.Array): mx.Array {
    using hidden = this.tower.forward(pixels);
    return this.projector.forward(hidden);
  }

  /**
   * The prompt's input embeddings before the decoder's sqrt(hidden) scaling: token embeddings, zeros at
   * padding tokens, and image features divided by sqrt(top-level hidden_size) at image tokens (mlx-vlm's
   * arithmetic; the decoder then multiplies everything by the bf16-rounded sqrt(text hidden)).
   */
  inputEmbeds(tokens: readonly number[], features: mx.Array | null): mx.Array {
    using ids = mx.array([tokens as number[]], { dtype: "int32" });
    const embeds = this.text.embed.forward(ids);
    if (!features) return embeds;
    using _e = embeds;
    const D = features.shape[features.ndim - 1]!;
    using rows = mx.reshape(features, [-1, D]);
    using scaled = mx.divide(rows, Math.sqrt(this.config.featureScaleHidden));
    return mergeFeatures(embeds, scaled, {
      featurePositions: positionsOf(tokens, this.config.imageTokenIndex),
      zeroPositions: positionsOf(tokens, this.config.padTokenId),
    });
  }
}

