/**
 * LLaVA 1.5: the CLIP tower's second-to-last hidden states (class token dropped under the "default"
 * feature strategy), a linear-GELU-linear projector, and a Llama decoder whose `<image>` tokens take the
 * projected features one per token, as mlx-vlm 0.7.10 merges them.
 */
import * as mx from "../../mlx/index.ts";
import { loadLinear, type Projection } from "../../nn/linear.ts";
import type { WeightStore } from "../../nn/weights.ts";
import { ConfigError, num, type HfConfig } from "../config.ts";
import { DecoderModel, type DecoderSpec } from "../decoder.ts";
import { llamaSpec, sanitizeCommon } from "../llama.ts";
import { ClipVisionTower } from "./clip.ts";
import { mergeFeatures, positionsOf } from "./merge.ts";
import { visionTowerConfig, type VisionTowerConfig } from "./siglip.ts";
import { subStore } from "./sub-store.ts";
import { activate } from "./vit.ts";
import type { ImageLanguageModel } from "./image-vlm.ts";

export interface LlavaConfig {
  text: DecoderSpec;
  vision: VisionTowerConfig;
  imageTokenIndex: number;
  featureLayer: number;
  /** "default" drops the class token; "full" keeps it. */
  selectStrategy: "default" | "full";
}

/** mlx-vlm's LLaVA text defaults (Llama 2 7B); its attention always uses hidden / heads as the head size. */
function textHf(hf: HfConfig): HfConfig {
  const t = { hidden_size: 4096, num_hidden_layers: 32, intermediate_size: 11008, num_attention_heads: 32, rms_norm_eps: 1e-6,
    vocab_size: 32000, rope_theta: 10000, max_position_embeddings: 4096, tie_word_embeddings: false,
    ...((hf.text_config ?? {}) as HfConfig) } as HfConfig;
  const type = t.model_type ?? "llama";
  if (type !== "llama" && type !== "mistral") throw new ConfigError(`LLaVA with a '${String(type)}' language model is not supported (llama, mistral)`);
  return { ...t, model_type: type, head_dim: num(t, "hidden_size") / num(t, "num_attention_heads"), quantization: hf.quantization };
}

export function llavaConfig(hf: HfConfig): LlavaConfig {
  const v = (hf.vision_config ?? {}) as HfConfig;
  if (v.model_type !== undefined && v.model_type !== "clip_vision_model") {
    throw new ConfigError(`LLaVA with a '${String(v.model_type)}' vision tower is not supported (clip_vision_model)`);
  }
  const strategy = hf.vision_feature_select_strategy ?? "default";
  if (strategy !== "default" && strategy !== "full") throw new ConfigError(`vision_feature_select_strategy '${String(strategy)}' is not supported`);
  if (Array.isArray(hf.vision_feature_layer)) throw new ConfigError("a list of vision_feature_layer values is not supported");
  return {
    text: llamaSpec(textHf(hf)),
    vision: visionTowerConfig(v, {
      hiddenSize: 1024, intermediateSize: 4096, numAttentionHeads: 16, numHiddenLayers: 24, patchSize: 14, imageSize: 336, layerNormEps: 1e-5,
    }),
    imageTokenIndex: num(hf, "image_token_index", 32000),
    featureLayer: num(hf, "vision_feature_layer", -2),
    selectStrategy: strategy,
  };
}

/** linear_1, exact GELU, linear_2. */
export class LlavaProjector {
  constructor(readonly linear1: Projection, readonly linear2: Projection) {}

  static load(store: WeightStore, prefix: string, visionHidden: number, textHidden: number): LlavaProjector {
    return new LlavaProjector(
      loadLinear(store, `${prefix}.linear_1`, visionHidden, textHidden, true),
      loadLinear(store, `${prefix}.linear_2`, textHidden, textHidden, true),
    );
  }

  forward(x: mx.Array): mx.Array {
    using a = this.linear1.forward(x);
    using g = activate(a, "gelu");
    return this.linear2.forward(g);
  }
}

export class LlavaModel implements ImageLanguageModel {
  protected constructor(
    readonly config: LlavaConfig,
    readonly tower: ClipVisionTower,
    readonly projector: LlavaProjector,
    readonly text: DecoderModel,
  ) {}

  static load(store: WeightStore, c: LlavaConfig): LlavaModel {
    const [tower, projector, text] = loadParts(store, c);
    store.finish();
    return new LlavaModel(c, tower, projector, text);
  }

  get imageTokenId(): number {
    return this.config.imageTokenIndex;
  }

  /** pixels: [N, 3, S, S] -> [N, (S/p)^2 (+1 with "full"), textHidden] */
  encodeImages(pixels: mx.Array, _imageSize?: [number, number]): mx.Array {
    using states = this.tower.forward(pixels, this.tower.layersFor(this.config.featureLayer));
    const [B, N, D] = states.shape as [number, number, number];
    using selected = this.config.selectStrategy === "default" ? mx.slice(states, [0, 1, 0], [B, N, D]) : null;
    return this.projector.forward(selected ?? states);
  }

  inputEmbeds(tokens: readonly number[], features: mx.Array | null): mx.Array {
    using ids = mx.array([tokens as number[]], { dtype: "int32" });
    const embeds = this.text.embed.forward(ids);
    if (!features) return embeds;
    using _e = embeds;
    const D = features.shape[features.ndim - 1]!;
    using rows = mx.reshape(features, [-1, D]);
    return mergeFeatures(embeds, rows, { featurePositions: positionsOf(tokens, this.config.imageTokenIndex) });
  }
}

/** The tower, projector and text decoder of a LLaVA checkpoint (mlx-vlm's names), each store finished. */
export function loadParts(store: WeightStore, c: LlavaConfig): [ClipVisionTower, LlavaProjector, DecoderModel] {
  const visionStore = subStore(store, "vision_tower.");
  for (const n of visionStore.names()) if (n.endsWith("position_ids")) visionStore.drop(n);
  const tower = ClipVisionTower.load(visionStore, "vision_model", c.vision);
  visionStore.finish();
  const projector = LlavaProjector.load(store, "multi_modal_projector", c.vision.hiddenSize, c.text.config.hiddenSize);
  const textStore = subStore(store, "language_model.");
  sanitizeCommon(textStore, c.text);
  return [tower, projector, DecoderModel.load(textStore, c.text)];
}
