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
import { queueAfterLayer } from "../queue.ts";
import { qwen3Spec } from "../qwen3.ts";
import {
  checkGrids, frameSegments, PatchMerger, qwenVisionConfig, TOWER_QUEUE_EVERY, visionRotary, type Grid, type QwenVisionConfig,
  type VisionOutput, type VisionTower,
} from "./qwen-vit.ts";
import { loadBlocks, loadQwenPatchEmbed, textConfig, withMRope } from "./qwen2-vl.ts";
import type { VitBlock } from "./vit.ts";

export function qwen3VlTextSpec(hf: HfConfig): DecoderSpec {
  return withMRope(qwen3Spec, textConfig(hf, false), "interleaved");
}

/** One axis of the bilinear lookup: for each of `n` grid lines, the lower and upper table line and the fraction. */
function axisTaps(n: number, side: number): { lo: Int32Array; hi: Int32Array; frac: Float32Array } {
  const lo = new Int32Array(n);
  const hi = new Int32Array(n);
  const frac = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    // mx.linspace(0, side - 1, n): (side - 1) * (i / (n - 1)), both steps in float32
    const v = n === 1 ? 0 : Math.fround((side - 1) * Math.fround(i / (n - 1)));
    lo[i] = Math.trunc(v);
    hi[i] = Math.min(lo[i]! + 1, side - 1);
    frac[i] = v - lo[i]!;
  }
  return { lo, hi, frac };
}

/**
 * For every patch (processor order), the four table rows around its place on the `side x side` grid of
 * learned embeddings and their bilinear weights (`linspace(0, side - 1, n)` per axis, as the reference does),
 * tap-major: tap `k` of patch `p` at `k * N + p`. Weights are float32 arithmetic, as the reference computes them.
 */
export function interpolationTaps(grids: readonly Grid[], side: number, merge: number): { rows: Int32Array; weights: Float32Array } {
  const N = grids.reduce((s, [t, h, w]) => s + t * h * w, 0);
  const rows = new Int32Array(4 * N);
  const weights = new Float32Array(4 * N);
  const f = Math.fround;
  let p = 0;
  for (const [t, h, w] of grids) {
    const y = axisTaps(h, side);
    const x = axisTaps(w, side);
    for (let frame = 0; frame < t; frame++) {
      for (let bh = 0; bh < h / merge; bh++) {
        for (let bw = 0; bw < w / merge; bw++) {
          for (let ih = 0; ih < merge; ih++) {
            const r = bh * merge + ih;
            const y0 = y.lo[r]! * side;
            const y1 = y.hi[r]! * side;
            const dy = y.frac[r]!;
            for (let iw = 0; iw < merge; iw++, p++) {
              const c = bw * merge + iw;
              const x0 = x.lo[c]!;
              const x1 = x.hi[c]!;
              const dx = x.frac[c]!;
              rows[p] = y0 + x0;
              rows[N + p] = y0 + x1;
              rows[2 * N + p] = y1 + x0;
              rows[3 * N + p] = y1 + x1;
              weights[p] = f(f(1 - dy) * f(1 - dx));
              weights[N + p] = f(f(1 - dy) * dx);
              weights[2 * N + p] = f(dy * f(1 - dx));
              weights[3 * N + p] = f(dy * dx);
            }
          }
        }
      }
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
    const N = rows.length / 4;
    using idx = mx.array(rows, { dtype: "int32" });
    using wt = mx.array(weights, { dtype: "float32", shape: [4, N, 1] });
    using wc = mx.astype(wt, this.posEmbed.dtype);
    using e = mx.take(this.posEmbed, idx, 0); // [4N, dims]
    using e4 = mx.reshape(e, [4, N, this.config.dims]);
    using weighted = mx.multiply(e4, wc);
    const [t0, t1, t2, t3] = mx.split(weighted, 4, 0) as [mx.Array, mx.Array, mx.Array, mx.Array]; // each [1, N, dims]
    using _t0 = t0;
    using _t1 = t1;
    using _t2 = t2;
    using _t3 = t3;
    using s01 = mx.add(t0, t1);
    using s012 = mx.add(s01, t2);
    using sum = mx.add(s012, t3);
    return mx.reshape(sum, [N, this.config.dims]);
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
        queueAfterLayer(h, i, this.blocks.length, TOWER_QUEUE_EVERY);
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
