/**
 * Qwen3-VL: LayerNorm / GELU(tanh) blocks with biases, learned position embeddings bilinearly interpolated to
 * each grid, deepstack (merged features of chosen blocks are added to the first language-model layers'
 * hidden states at the visual tokens), and Qwen3 as the language model with interleaved M-RoPE.
 */
import * as mx from "../../mlx/index.ts";
import type { Projection } from "../../nn/linear.ts";
import type { WeightStore } from "../../nn/weights.ts";
import type { HfConfig } from "../config.ts";
import type { DecoderSpec } from "../decoder.ts";
import { qwen3Spec } from "../qwen3.ts";
import {
  checkGrids, frameSegments, PatchMerger, patchPositions, qwenVisionConfig, visionRotary, type Grid, type QwenVisionConfig,
  type VisionOutput, type VisionTower,
} from "./qwen-vit.ts";
import { loadBlocks, loadQwenPatchEmbed, textConfig, withMRope } from "./qwen2-vl.ts";
import type { VitBlock } from "./vit.ts";

export function qwen3VlTextSpec(hf: HfConfig): DecoderSpec {
  return withMRope(qwen3Spec, textConfig(hf, false), "interleaved");
}

/**
 * For every patch (processor order), the four table rows around its place on the `side x side` grid of
 * learned embeddings and their bilinear weights (`linspace(0, side - 1, n)` per axis, as the reference does).
 */
export function interpolationTaps(grids: readonly Grid[], side: number, merge: number): { rows: number[][]; weights: number[][] } {
  const rows: number[][] = [[], [], [], []];
  const weights: number[][] = [[], [], [], []];
  const { rows: r, cols: c } = patchPositions(grids, merge);
  let p = 0;
  for (const [t, h, w] of grids) {
    const at = (n: number, i: number) => Math.fround(n === 1 ? 0 : (i * (side - 1)) / (n - 1));
    for (let k = 0; k < t * h * w; k++, p++) {
      const y = at(h, r[p]!);
      const x = at(w, c[p]!);
      const [y0, x0] = [Math.trunc(y), Math.trunc(x)];
      const [y1, x1] = [Math.min(y0 + 1, side - 1), Math.min(x0 + 1, side - 1)];
      const [dy, dx] = [Math.fround(y - y0), Math.fround(x - x0)];
      const taps: [number, number][] = [
        [y0 * side + x0, (1 - dy) * (1 - dx)], [y0 * side + x1, (1 - dy) * dx],
        [y1 * side + x0, dy * (1 - dx)], [y1 * side + x1, dy * dx],
      ];
      taps.forEach(([row, wt], i) => (rows[i]!.push(row), weights[i]!.push(wt)));
    }
  }
  return { rows, weights };
}

export class Qwen3VisionTower implements VisionTower {
  private constructor(
    readonly config: QwenVisionConfig,
    readonly patchEmbed: Projection,
    readonly posEmbed: mx.Array,
    readonly blocks: VitBlock[],
    readonly merger: PatchMerger,
    readonly deepstackMergers: PatchMerger[],
  ) {}

  static load(store: WeightStore, hf: HfConfig, prefix = "vision_tower"): Qwen3VisionTower {
    const c = qwenVisionConfig(hf, "qwen3_vl");
    const side = Math.trunc(Math.sqrt(c.numPositionEmbeddings));
    const posEmbed = store.get(`${prefix}.pos_embed.weight`, [c.numPositionEmbeddings, c.dims]);
    const blocks = loadBlocks(store, prefix, c, {
      norm: "layer", normEps: 1e-6, activation: "gelu_tanh", gatedMlp: false, mlpNames: ["linear_fc1", "linear_fc2"],
    });
    const names = { norm: "norm", fc1: "linear_fc1", fc2: "linear_fc2" };
    const merger = PatchMerger.load(store, `${prefix}.merger`, c, names, "layer");
    const deepstack = c.deepstackLayers.map((_, i) => PatchMerger.load(store, `${prefix}.deepstack_merger_list.${i}`, c, names, "layer", true));
    return new Qwen3VisionTower(c, loadQwenPatchEmbed(store, prefix, c, true), posEmbed, blocks, merger, deepstack);
  }

  /** Interpolated learned position embeddings, one row per patch: [N, dims]. */
  #positions(grids: readonly Grid[]): mx.Array {
    const side = Math.trunc(Math.sqrt(this.config.numPositionEmbeddings));
    const { rows, weights } = interpolationTaps(grids, side, this.config.mergeSize);
    let sum: mx.Array | null = null;
    for (let i = 0; i < 4; i++) {
      using idx = mx.array(rows[i]!, { dtype: "int32" });
      using wt = mx.array(weights[i]!, { dtype: "float32", shape: [weights[i]!.length, 1] });
      using wc = mx.astype(wt, this.posEmbed.dtype);
      using e = mx.take(this.posEmbed, idx, 0);
      const term = mx.multiply(e, wc);
      if (!sum) sum = term;
      else {
        using _t = term;
        using _s = sum;
        sum = mx.add(sum, term);
      }
    }
    return sum!;
  }

  forward(pixels: mx.Array, grids: readonly Grid[]): VisionOutput {
    const c = this.config;
    checkGrids(pixels, grids, c.mergeSize);
    const rotary = visionRotary(grids, c.dims / c.numHeads, c.mergeSize);
    const cu = frameSegments(grids);
    using embedded = this.patchEmbed.forward(pixels);
    using pos = this.#positions(grids);
    let h = mx.add(embedded, pos);
    const deepstack: mx.Array[] = [];
    try {
      this.blocks.forEach((b, i) => {
        const next = b.forward(h, cu, rotary);
        h.dispose();
        h = next;
        const k = c.deepstackLayers.indexOf(i);
        if (k >= 0) deepstack.push(this.deepstackMergers[k]!.forward(h));
      });
      return { features: this.merger.forward(h), deepstack };
    } finally {
      h.dispose();
      rotary.cos.dispose();
      rotary.sin.dispose();
    }
  }
}
