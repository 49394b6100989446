/**
 * What the three Qwen-VL towers share: their vision config, the grid of patches (t, h, w), 2D rotary
 * positions in the merge-block order the processor writes patches in, per-frame segments, and the patch
 * merger (2x2 neighbouring patches -> one language-model token).
 */
import * as mx from "../../mlx/index.ts";
import { loadLinear, type Projection } from "../../nn/linear.ts";
import { cosSin, inverseFrequencies } from "../../nn/rotary.ts";
import type { WeightStore } from "../../nn/weights.ts";
import { ConfigError, num, type HfConfig } from "../config.ts";
import { activate, loadNorm, type VisionNorm, type VisionRotary } from "./vit.ts";

/** Patches of one image or video: frames (after the temporal patch), rows, columns. */
export type Grid = readonly [t: number, h: number, w: number];

export interface VisionOutput {
  /** Merged features, one row per language-model token: `[sum(t * h * w) / merge^2, outDims]`. */
  features: mx.Array;
  /** Qwen3-VL: merged features of the deepstack layers, same shape as `features`; empty otherwise. */
  deepstack: mx.Array[];
}

/** Every vision tower: flattened patches `[N, C * T * P * P]` and their grids -> features. */
export interface VisionTower {
  readonly config: QwenVisionConfig;
  forward(pixels: mx.Array, grids: readonly Grid[]): VisionOutput;
}

export interface QwenVisionConfig {
  depth: number;
  dims: number;
  numHeads: number;
  mlpHidden: number;
  outDims: number;
  patchSize: number;
  temporalPatchSize: number;
  mergeSize: number;
  inChannels: number;
  /** Qwen2.5-VL */
  windowSize: number;
  fullAttentionBlocks: number[];
  /** Qwen3-VL */
  numPositionEmbeddings: number;
  deepstackLayers: number[];
}

function ints(v: unknown, key: string): number[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x))) throw new ConfigError(`vision_config.${key} must be a list of integers`);
  return v as number[];
}

/** The keys of `vision_config` (Qwen2-VL names `embed_dim`/`hidden_size` what the later ones call `hidden_size`/`out_hidden_size`). */
export function qwenVisionConfig(hf: HfConfig, family: "qwen2_vl" | "qwen2_5_vl" | "qwen3_vl"): QwenVisionConfig {
  const v = hf.vision_config as HfConfig | undefined;
  if (!v || typeof v !== "object") throw new ConfigError("config.json: missing 'vision_config'");
  const q2 = family === "qwen2_vl";
  const dims = num(v, q2 ? "embed_dim" : "hidden_size");
  const c: QwenVisionConfig = {
    depth: num(v, "depth"),
    dims,
    numHeads: num(v, "num_heads"),
    mlpHidden: q2 ? Math.trunc(dims * num(v, "mlp_ratio", 4)) : num(v, "intermediate_size"),
    outDims: num(v, q2 ? "hidden_size" : "out_hidden_size"),
    patchSize: num(v, "patch_size", 14),
    temporalPatchSize: num(v, "temporal_patch_size", 2),
    mergeSize: num(v, "spatial_merge_size", 2),
    inChannels: num(v, "in_channels", 3),
    windowSize: num(v, "window_size", 112),
    fullAttentionBlocks: ints(v.fullatt_block_indexes, "fullatt_block_indexes"),
    numPositionEmbeddings: num(v, "num_position_embeddings", 2304),
    deepstackLayers: ints(v.deepstack_visual_indexes, "deepstack_visual_indexes"),
  };
  if (c.dims % c.numHeads !== 0) throw new ConfigError(`vision dims ${c.dims} not a multiple of num_heads ${c.numHeads}`);
  return c;
}

/** Blocks between two queued evaluations of a tower's hidden state (../queue.ts's `queueAfterLayer`). */
export const TOWER_QUEUE_EVERY = 4;

/** Checks that grids fit the pixel rows and the merge size. */
export function checkGrids(pixels: mx.Array, grids: readonly Grid[], merge: number): number {
  if (grids.length === 0) throw new RangeError("no image grids");
  let n = 0;
  for (const [t, h, w] of grids) {
    if (![t, h, w].every((d) => Number.isInteger(d) && d > 0) || h % merge || w % merge) {
      throw new RangeError(`image grid [${t}, ${h}, ${w}] must be positive and h, w multiples of ${merge}`);
    }
    n += t * h * w;
  }
  if (pixels.ndim !== 2 || pixels.shape[0] !== n) throw new RangeError(`pixel values [${pixels.shape}] do not hold the ${n} patches of the grids`);
  return n;
}

/**
 * Each patch's (row, column), in the order the processor writes them: merge blocks row-major, the
 * merge x merge patches of a block inside, every frame alike. Typed arrays: a 1024 x 1024 image has 4,096
 * patches, and these go straight to `mx.array` without a per-element conversion.
 */
export function patchPositions(grids: readonly Grid[], merge: number): { rows: Int32Array; cols: Int32Array } {
  const n = grids.reduce((s, [t, h, w]) => s + t * h * w, 0);
  const rows = new Int32Array(n);
  const cols = new Int32Array(n);
  let p = 0;
  for (const [t, h, w] of grids) {
    for (let f = 0; f < t; f++) {
      for (let bh = 0; bh < h / merge; bh++) {
        for (let bw = 0; bw < w / merge; bw++) {
          for (let ih = 0; ih < merge; ih++) {
            for (let iw = 0; iw < merge; iw++, p++) {
              rows[p] = bh * merge + ih;
              cols[p] = bw * merge + iw;
            }
          }
        }
      }
    }
  }
  return { rows, cols };
}

/** cos/sin `[N, 1, headDim]`: half the rotary frequencies turn with the row, half with the column. */
export function visionRotary(grids: readonly Grid[], headDim: number, merge: number, order?: readonly number[]): NonNullable<VisionRotary> {
  const { rows, cols } = patchPositions(grids, merge);
  const n = rows.length;
  const r = new Float32Array(n);
  const c = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const j = order ? order[i]! : i;
    r[i] = rows[j]!;
    c[i] = cols[j]!;
  }
  using inv = inverseFrequencies(headDim / 2, 10000); // [headDim / 4]
  using r0 = mx.array(r, { dtype: "float32", shape: [n, 1] });
  using c0 = mx.array(c, { dtype: "float32", shape: [n, 1] });
  using ra = mx.multiply(r0, inv);
  using ca = mx.multiply(c0, inv);
  using angles = mx.concatenate([ra, ca], -1); // [N, headDim / 2]
  const [cos, sin] = cosSin(angles);
  using cs = cos;
  using sn = sin;
  return { cos: mx.expandDims(cs, [1]), sin: mx.expandDims(sn, [1]) };
}

/** Segment boundaries for attention within each frame: [0, h*w, 2*h*w, ...]. */
export function frameSegments(grids: readonly Grid[]): number[] {
  const cu = [0];
  for (const [t, h, w] of grids) for (let f = 0; f < t; f++) cu.push(cu.at(-1)! + h * w);
  return cu;
}

/** merge x merge neighbouring patches -> one token: norm, concatenate, Linear, GELU, Linear. */
export class PatchMerger {
  constructor(
    readonly norm: VisionNorm,
    /** Normalize after concatenating the block (Qwen3-VL's deepstack mergers) rather than before. */
    readonly postShuffleNorm: boolean,
    readonly fc1: Projection,
    readonly fc2: Projection,
  ) {}

  static load(store: WeightStore, prefix: string, c: QwenVisionConfig, names: { norm: string; fc1: string; fc2: string },
    normKind: "layer" | "rms", postShuffleNorm = false): PatchMerger {
    const wide = c.dims * c.mergeSize ** 2;
    const norm = loadNorm(store, `${prefix}.${names.norm}`, postShuffleNorm ? wide : c.dims, normKind, 1e-6);
    const fc1 = loadLinear(store, `${prefix}.${names.fc1}`, wide, wide, true);
    const fc2 = loadLinear(store, `${prefix}.${names.fc2}`, wide, c.outDims, true);
    return new PatchMerger(norm, postShuffleNorm, fc1, fc2);
  }

  /** x: [N, dims] -> [N / merge^2, outDims] */
  forward(x: mx.Array): mx.Array {
    const wide = this.fc1.outputDims;
    const rows = (x.shape[0]! * x.shape[1]!) / wide;
    let h: mx.Array;
    if (this.postShuffleNorm) {
      using r = mx.reshape(x, [rows, wide]);
      h = this.norm.forward(r);
    } else {
      using n = this.norm.forward(x);
      h = mx.reshape(n, [rows, wide]);
    }
    using _h = h;
    using a = this.fc1.forward(h);
    using g = activate(a, "gelu");
    return this.fc2.forward(g);
  }
}
