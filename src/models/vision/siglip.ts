/**
 * SigLIP vision tower (Gemma 3): patch embedding with bias, learned position embeddings, pre-norm encoder
 * layers with GELU (tanh) MLPs and bidirectional attention, and a final LayerNorm. Weights under
 * `vision_tower.vision_model.` in mlx-vlm's layout.
 */
import * as mx from "../../mlx/index.ts";
import { Embedding, type Projection } from "../../nn/linear.ts";
import { LayerNorm } from "../../nn/norm.ts";
import type { WeightStore } from "../../nn/weights.ts";
import { ConfigError, num, type HfConfig } from "../config.ts";
import { ClipEncoderLayer, patchify, type ClipLayerSpec } from "./clip-layer.ts";
import { loadPatchEmbed, type VisionActivation } from "./vit.ts";

export interface VisionTowerConfig {
  hiddenSize: number;
  intermediateSize: number;
  numAttentionHeads: number;
  numHiddenLayers: number;
  patchSize: number;
  imageSize: number;
  numChannels: number;
  layerNormEps: number;
}

/** Reads a CLIP/SigLIP `vision_config`, with mlx-vlm's defaults where the key is missing. */
export function visionTowerConfig(v: HfConfig, defaults: Partial<VisionTowerConfig> = {}): VisionTowerConfig {
  const c: VisionTowerConfig = {
    hiddenSize: num(v, "hidden_size", defaults.hiddenSize),
    intermediateSize: num(v, "intermediate_size", defaults.intermediateSize),
    numAttentionHeads: num(v, "num_attention_heads", defaults.numAttentionHeads),
    numHiddenLayers: num(v, "num_hidden_layers", defaults.numHiddenLayers),
    patchSize: num(v, "patch_size", defaults.patchSize),
    imageSize: num(v, "image_size", defaults.imageSize ?? 224),
    numChannels: num(v, "num_channels", 3),
    layerNormEps: num(v, "layer_norm_eps", defaults.layerNormEps ?? 1e-6),
  };
  if (c.hiddenSize % c.numAttentionHeads !== 0) {
    throw new ConfigError(`vision_config: hidden_size ${c.hiddenSize} is not a multiple of num_attention_heads ${c.numAttentionHeads}`);
  }
  if (c.imageSize % c.patchSize !== 0) throw new ConfigError(`vision_config: image_size ${c.imageSize} is not a multiple of patch_size ${c.patchSize}`);
  return c;
}

export function layerSpec(c: VisionTowerConfig, activation: VisionActivation): ClipLayerSpec {
  return { dims: c.hiddenSize, numHeads: c.numAttentionHeads, mlpHidden: c.intermediateSize, eps: c.layerNormEps, activation };
}

/** The learned position table `[N, D]`, dequantized when the checkpoint quantized it. */
export function positionTable(store: WeightStore, name: string, count: number, dims: number): mx.Array {
  const emb = Embedding.load(store, name, count, dims);
  using ids = mx.arange(0, count, 1, "int32");
  return emb.forward(ids);
}

export class SiglipVisionTower {
  private constructor(
    readonly config: VisionTowerConfig,
    readonly patchEmbed: Projection,
    readonly positions: mx.Array,
    readonly layers: ClipEncoderLayer[],
    readonly postNorm: LayerNorm,
  ) {}

  static load(store: WeightStore, prefix: string, c: VisionTowerConfig): SiglipVisionTower {
    const p = c.patchSize;
    const side = c.imageSize / p;
    const patchEmbed = loadPatchEmbed(store, `${prefix}.embeddings.patch_embedding`, c.numChannels, [p, p], c.hiddenSize, true);
    const positions = positionTable(store, `${prefix}.embeddings.position_embedding`, side * side, c.hiddenSize);
    // mlx-vlm's SigLIP MLP is nn.GELU(approx="precise"), which mlx computes with the tanh approximation.
    const spec = layerSpec(c, "gelu_tanh");
    const layers = Array.from({ length: c.numHiddenLayers }, (_, i) => ClipEncoderLayer.load(store, `${prefix}.encoder.layers.${i}`, spec));
    // mlx-vlm builds post_layernorm with nn.LayerNorm's default eps (1e-5), not layer_norm_eps.
    const postNorm = LayerNorm.load(store, `${prefix}.post_layernorm`, c.hiddenSize, 1e-5);
    return new SiglipVisionTower(c, patchEmbed, positions, layers, postNorm);
  }

  /** pixels: [B, C, S, S] with S = image_size -> [B, (S/p)^2, hidden], after the final LayerNorm. */
  forward(pixels: mx.Array): mx.Array {
    const [, C, H, W] = pixels.shape as [number, number, number, number];
    const { imageSize: S, numChannels } = this.config;
    if (C !== numChannels || H !== S || W !== S) {
      throw new RangeError(`SigLIP expects pixel values [B, ${numChannels}, ${S}, ${S}], got [${pixels.shape.join(", ")}]`);
    }
    using patches = patchify(pixels, this.config.patchSize);
    using e = this.patchEmbed.forward(patches); // in the kernel's dtype (PatchEmbed casts)
    let h = mx.add(e, this.positions); // [B, N, D]
    for (const layer of this.layers) {
      const next = layer.forward(h);
      h.dispose();
      h = next;
    }
    using _h = h;
    return this.postNorm.forward(h);
  }
}
