/**
 * CLIP vision tower (LLaVA): a class token before the patches, learned positions, a LayerNorm before the
 * encoder, and pre-norm layers with quick-GELU MLPs. LLaVA reads a middle layer's hidden states, so the
 * tower returns the states after `layers` layers. Weights under `vision_tower.vision_model.` (mlx-vlm).
 */
import * as mx from "../../mlx/index.ts";
import type { Projection } from "../../nn/linear.ts";
import { LayerNorm } from "../../nn/norm.ts";
import type { WeightStore } from "../../nn/weights.ts";
import { ClipEncoderLayer, patchify } from "./clip-layer.ts";
import { layerSpec, positionTable, type VisionTowerConfig } from "./siglip.ts";
import { loadPatchEmbed } from "./vit.ts";

export class ClipVisionTower {
  private constructor(
    readonly config: VisionTowerConfig,
    readonly classEmbedding: mx.Array,
    readonly patchEmbed: Projection,
    readonly positions: mx.Array,
    readonly preNorm: LayerNorm,
    readonly layers: ClipEncoderLayer[],
  ) {}

  static load(store: WeightStore, prefix: string, c: VisionTowerConfig): ClipVisionTower {
    const p = c.patchSize;
    const side = c.imageSize / p;
    const e = `${prefix}.embeddings`;
    const cls = store.get(`${e}.class_embedding`, [c.hiddenSize]);
    const patchEmbed = loadPatchEmbed(store, `${e}.patch_embedding`, c.numChannels, [p, p], c.hiddenSize, false);
    const positions = positionTable(store, `${e}.position_embedding`, side * side + 1, c.hiddenSize);
    // mlx-vlm builds pre_layrnorm (sic, HF's name) with nn.LayerNorm's default eps, 1e-5.
    const preNorm = LayerNorm.load(store, `${prefix}.pre_layrnorm`, c.hiddenSize, 1e-5);
    // CLIP's MLP uses quick_gelu, x * sigmoid(1.702 x): mlx-vlm's FastGELUMLP.
    const spec = layerSpec(c, "gelu_fast");
    const layers = Array.from({ length: c.numHiddenLayers }, (_, i) => ClipEncoderLayer.load(store, `${prefix}.encoder.layers.${i}`, spec));
    // post_layernorm pools the class token for CLIP's own head; LLaVA never reads it.
    for (const n of ["weight", "bias"]) store.drop(`${prefix}.post_layernorm.${n}`);
    return new ClipVisionTower(c, cls, patchEmbed, positions, preNorm, layers);
  }

  /** Which hidden state `vision_feature_layer` names: 0 is the embeddings, -1 the last layer's output. */
  layersFor(featureLayer: number): number {
    const n = this.layers.length;
    const k = featureLayer < 0 ? n + 1 + featureLayer : featureLayer;
    if (k < 0 || k > n) throw new RangeError(`vision_feature_layer ${featureLayer} is outside a ${n}-layer tower`);
    return k;
  }

  /** pixels: [B, C, S, S] -> hidden states after `count` layers: [B, 1 + (S/p)^2, hidden] (class token first). */
  forward(pixels: mx.Array, count: number): mx.Array {
    const [B, C, H, W] = pixels.shape as [number, number, number, number];
    const { imageSize: S, numChannels, hiddenSize: D } = this.config;
    if (C !== numChannels || H !== S || W !== S) {
      throw new RangeError(`CLIP expects pixel values [B, ${numChannels}, ${S}, ${S}], got [${pixels.shape.join(", ")}]`);
    }
    using patches = patchify(pixels, this.config.patchSize);
    using pe = this.patchEmbed.forward(patches); // in the kernel's dtype (PatchEmbed casts)
    using cls3 = mx.reshape(this.classEmbedding, [1, 1, D]);
    using cls = mx.broadcastTo(cls3, [B, 1, D]);
    using withCls = mx.concatenate([cls, pe], 1);
    using e = mx.add(withCls, this.positions);
    let h = this.preNorm.forward(e);
    for (let i = 0; i < count; i++) {
      const next = this.layers[i]!.forward(h);
      h.dispose();
      h = next;
    }
    return h;
  }
}
