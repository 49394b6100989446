/**
 * Qwen2.5-VL: Qwen2-VL's tower with RMSNorm and SwiGLU blocks, and window attention: patches are permuted so
 * each window of merged tokens (window_size pixels square) is contiguous, most blocks attend within a window,
 * the `fullatt_block_indexes` blocks within a whole frame, and the merged features are permuted back.
 */
import * as mx from "../../mlx/index.ts";
import type { Projection } from "../../nn/linear.ts";
import type { WeightStore } from "../../nn/weights.ts";
import type { HfConfig } from "../config.ts";
import type { DecoderSpec } from "../decoder.ts";
import { queueAfterLayer } from "../queue.ts";
import { qwen2Spec } from "../qwen2.ts";
import {
  checkGrids, frameSegments, PatchMerger, qwenVisionConfig, TOWER_QUEUE_EVERY, visionRotary, type Grid, type QwenVisionConfig, type VisionOutput,
  type VisionTower,
} from "./qwen-vit.ts";
import { loadBlocks, loadQwenPatchEmbed, textConfig, withMRope } from "./qwen2-vl.ts";
import type { VitBlock } from "./vit.ts";

export function qwen25VlTextSpec(hf: HfConfig): DecoderSpec {
  return withMRope(qwen2Spec, textConfig(hf, true), "chunked");
}

/**
 * The window order of merged tokens (`order[k]` = the merged token at window position k) and the window
 * boundaries in patches. Windows tile each frame row-major, `window` merged tokens square; edge windows are
 * partial (empty ones add no boundary).
 */
export function windowIndex(grids: readonly Grid[], merge: number, window: number): { order: number[]; cu: number[] } {
  const order: number[] = [];
  const cu = [0];
  let base = 0;
  for (const [t, h, w] of grids) {
    const [gh, gw] = [h / merge, w / merge];
    // As the reference pads: a full extra window when the side is a multiple of it (then empty).
    const nh = Math.floor((gh + window - (gh % window)) / window);
    const nw = Math.floor((gw + window - (gw % window)) / window);
    for (let f = 0; f < t; f++) {
      for (let wh = 0; wh < nh; wh++) {
        for (let ww = 0; ww < nw; ww++) {
          let n = 0;
          for (let i = wh * window; i < Math.min((wh + 1) * window, gh); i++) {
            for (let j = ww * window; j < Math.min((ww + 1) * window, gw); j++, n++) order.push(base + (f * gh + i) * gw + j);
          }
          const end = cu.at(-1)! + n * merge * merge;
          if (end !== cu.at(-1)) cu.push(end);
        }
      }
    }
    base += t * gh * gw;
  }
  return { order, cu };
}

export class Qwen25VisionTower implements VisionTower {
  private constructor(
    readonly config: QwenVisionConfig,
    readonly patchEmbed: Projection,
    readonly blocks: VitBlock[],
    readonly merger: PatchMerger,
  ) {}

  static load(store: WeightStore, hf: HfConfig, prefix = "vision_tower"): Qwen25VisionTower {
    const c = qwenVisionConfig(hf, "qwen2_5_vl");
    const blocks = loadBlocks(store, prefix, c, { norm: "rms", normEps: 1e-6, activation: "silu", gatedMlp: true, mlpNames: ["", ""] });
    const merger = PatchMerger.load(store, `${prefix}.merger`, c, { norm: "ln_q", fc1: "mlp.0", fc2: "mlp.2" }, "rms");
    return new Qwen25VisionTower(c, loadQwenPatchEmbed(store, prefix, c, false), blocks, merger);
  }

  forward(pixels: mx.Array, grids: readonly Grid[]): VisionOutput {
    const c = this.config;
    const N = checkGrids(pixels, grids, c.mergeSize);
    const unit = c.mergeSize ** 2;
    const { order, cu: windows } = windowIndex(grids, c.mergeSize, c.windowSize / c.mergeSize / c.patchSize);
    const patchOrder = order.flatMap((k) => Array.from({ length: unit }, (_, j) => k * unit + j));
    const rotary = visionRotary(grids, c.dims / c.numHeads, c.mergeSize, patchOrder);
    const frames = frameSegments(grids);
    const full = new Set(c.fullAttentionBlocks);
    using embedded = this.patchEmbed.forward(pixels);
    using grouped = mx.reshape(embedded, [N / unit, unit, c.dims]);
    using orderArr = mx.array(order, { dtype: "int32" });
    using permuted = mx.take(grouped, orderArr, 0);
    let h = mx.reshape(permuted, [N, c.dims]);
    try {
      this.blocks.forEach((b, i) => {
        const next = b.forward(h, full.has(i) ? frames : windows, rotary);
        h.dispose();
        h = next;
        queueAfterLayer(h, i, this.blocks.length, TOWER_QUEUE_EVERY);
      });
      using merged = this.merger.forward(h);
      const inverse = new Array<number>(order.length);
      order.forEach((k, pos) => (inverse[k] = pos));
      using inv = mx.array(inverse, { dtype: "int32" });
      return { features: mx.take(merged, inv, 0), deepstack: [] };
    } finally {
      h.dispose();
      rotary.cos.dispose();
      rotary.sin.dispose();
    }
  }
}
