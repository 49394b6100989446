/**
 * Qwen2-VL: a ViT (LayerNorm blocks, fc1 / fast-GELU / fc2 MLPs, 2D RoPE) over 14x14x2 patches, a 2x2 patch
 * merger, and Qwen2 as the language model with M-RoPE in chunks (`mrope_section`).
 */
import type * as mx from "../../mlx/index.ts";
import { MRoPE, type MRopeStyle } from "../../nn/mrope.ts";
import type { Projection } from "../../nn/linear.ts";
import type { WeightStore } from "../../nn/weights.ts";
import { ConfigError, type HfConfig } from "../config.ts";
import type { DecoderSpec } from "../decoder.ts";
import { qwen2Spec } from "../qwen2.ts";
import {
  checkGrids, frameSegments, PatchMerger, qwenVisionConfig, visionRotary, type Grid, type QwenVisionConfig, type VisionOutput,
  type VisionTower,
} from "./qwen-vit.ts";
import { loadPatchEmbed, VitBlock, type VitBlockSpec } from "./vit.ts";

/** The language model's keys: at the top level (Qwen2-VL, Qwen2.5-VL) or under `text_config` (Qwen3-VL). */
export function textConfig(hf: HfConfig, tieDefault: boolean): HfConfig {
  const nested = hf.text_config as HfConfig | undefined;
  const t: HfConfig = { ...hf, ...(nested ?? {}) };
  t.tie_word_embeddings ??= hf.tie_word_embeddings ?? tieDefault;
  return t;
}

/** `mrope_section` from `rope_scaling` (or `rope_parameters`), checked against the head size. */
export function mropeSection(t: HfConfig, headDim: number): number[] {
  const scaling = (t.rope_scaling ?? t.rope_parameters) as Record<string, unknown> | undefined;
  const section = scaling?.mrope_section;
  if (!Array.isArray(section) || section.length !== 3 || !section.every((n) => Number.isInteger(n) && n >= 0)) {
    throw new ConfigError("config.json: rope_scaling.mrope_section must be three integers");
  }
  const sum = (section as number[]).reduce((a, b) => a + b, 0);
  if (sum * 2 !== headDim) throw new ConfigError(`mrope_section sums to ${sum}, expected head_dim / 2 = ${headDim / 2}`);
  return section as number[];
}

/** A text family's spec with its RoPE replaced by M-RoPE. */
export function withMRope(spec: (hf: HfConfig) => DecoderSpec, t: HfConfig, style: MRopeStyle): DecoderSpec {
  const s = spec({ ...t, rope_scaling: null, rope_parameters: null });
  const c = s.config;
  const rope = new MRoPE(c.headDim, c.ropeTheta, mropeSection(t, c.headDim), style);
  return { ...s, layers: s.layers.map((l) => ({ ...l, rope })) };
}

export function qwen2VlTextSpec(hf: HfConfig): DecoderSpec {
  return withMRope(qwen2Spec, textConfig(hf, false), "chunked");
}

/** The tower's blocks, named as mlx-vlm writes them (`vision_tower.blocks.N`). */
export function loadBlocks(store: WeightStore, prefix: string, c: QwenVisionConfig, spec: Omit<VitBlockSpec, "dims" | "numHeads" | "mlpHidden">): VitBlock[] {
  const full: VitBlockSpec = { ...spec, dims: c.dims, numHeads: c.numHeads, mlpHidden: c.mlpHidden };
  return Array.from({ length: c.depth }, (_, i) => VitBlock.load(store, `${prefix}.blocks.${i}`, full));
}

export function loadQwenPatchEmbed(store: WeightStore, prefix: string, c: QwenVisionConfig, bias: boolean): Projection {
  const kernel = [c.temporalPatchSize, c.patchSize, c.patchSize];
  return loadPatchEmbed(store, `${prefix}.patch_embed.proj`, c.inChannels, kernel, c.dims, bias);
}

export class Qwen2VisionTower implements VisionTower {
  private constructor(
    readonly config: QwenVisionConfig,
    readonly patchEmbed: Projection,
    readonly blocks: VitBlock[],
    readonly merger: PatchMerger,
  ) {}

  static load(store: WeightStore, hf: HfConfig, prefix = "vision_tower"): Qwen2VisionTower {
    const c = qwenVisionConfig(hf, "qwen2_vl");
    const blocks = loadBlocks(store, prefix, c, {
      norm: "layer", normEps: 1e-6, activation: "gelu_fast", gatedMlp: false, mlpNames: ["fc1", "fc2"],
    });
    const merger = PatchMerger.load(store, `${prefix}.merger`, c, { norm: "ln_q", fc1: "mlp.0", fc2: "mlp.2" }, "layer");
    return new Qwen2VisionTower(c, loadQwenPatchEmbed(store, prefix, c, false), blocks, merger);
  }

  /** pixels: [N, C*T*P*P] -> features [N / merge^2, outDims] */
  forward(pixels: mx.Array, grids: readonly Grid[]): VisionOutput {
    const c = this.config;
    checkGrids(pixels, grids, c.mergeSize);
    const rotary = visionRotary(grids, c.dims / c.numHeads, c.mergeSize);
    const cu = frameSegments(grids);
    let h = this.patchEmbed.forward(pixels);
    try {
      for (const b of this.blocks) {
        const next = b.forward(h, cu, rotary);
        h.dispose();
        h = next;
      }
      return { features: this.merger.forward(h), deepstack: [] };
    } finally {
      h.dispose();
      rotary.cos.dispose();
      rotary.sin.dispose();
    }
  }
}
