/**
 * LLaVA 1.5 (CLIP: shortest edge to 336 bicubic, center crop, CLIP mean/std) and LLaVA-NeXT (any-resolution:
 * best-fit grid pinpoint, aspect-kept resize, zero pad, 336 tiles after a squashed base image).
 */
import type { RgbImage } from "../../media/index.ts";
import { centerCrop, cropImage, type Normalization, normalizeToChw, padImage } from "./image-ops.ts";
import { pilResize } from "./pil-resample.ts";
import type { MediaTokens, ProcessedMedia, VisionFamily, VisionProcessor } from "./processor.ts";

export interface LlavaProcessorConfig {
  /** `size.shortest_edge` and the square crop. */
  shortestEdge: number;
  cropSize: number;
  patchSize: number;
  norm: Normalization;
  /** LLaVA-NeXT's `image_grid_pinpoints` as `[height, width]`; empty for LLaVA 1.5. */
  gridPinpoints: [number, number][];
  /** Tokens added to the patch grid (CLS, 1) and whether the "default" strategy drops one. */
  numAdditionalImageTokens: number;
  dropsClsToken: boolean;
}

/** transformers' `get_resize_output_image_size(default_to_square=False)`: the short side to `size`. */
function shortestEdgeSize(width: number, height: number, size: number): [number, number] {
  const short = Math.min(width, height), long = Math.max(width, height);
  const newLong = Math.trunc((size * long) / short);
  return width <= height ? [size, newLong] : [newLong, size];
}

/** LLaVA-NeXT's best-fit resolution: most effective pixels, then least waste. Returns `[height, width]`. */
export function selectBestResolution(height: number, width: number, pinpoints: readonly [number, number][]): [number, number] {
  let best = pinpoints[0]!;
  let maxEffective = 0;
  let minWasted = Infinity;
  for (const [h, w] of pinpoints) {
    const scale = Math.min(w / width, h / height);
    const effective = Math.min(Math.trunc(width * scale) * Math.trunc(height * scale), width * height);
    const wasted = w * h - effective;
    if (effective > maxEffective || (effective === maxEffective && wasted < minWasted)) {
      [maxEffective, minWasted, best] = [effective, wasted, [h, w]];
    }
  }
  return best;
}

function patchOutputSize(height: number, width: number, [th, tw]: [number, number]): [number, number] {
  const sw = tw / width, sh = th / height;
  return sw < sh ? [Math.min(Math.ceil(height * sw), th), tw] : [th, Math.min(Math.ceil(width * sh), tw)];
}

/** Python's `round(x, 7)` then `int`, as LLaVA-NeXT's feature count does. */
function roundTo7(x: number): number {
  return Math.trunc(Math.round(x * 1e7) / 1e7);
}

export class LlavaProcessor implements VisionProcessor {
  readonly marker = { image: "<image>", video: null };
  readonly placeholderToken = { image: "<image>", video: null };
  readonly processVideo = null;

  constructor(
    readonly family: Extract<VisionFamily, "llava" | "llava_next">,
    readonly config: LlavaProcessorConfig,
  ) {}

  #clip(image: RgbImage): RgbImage {
    const [w, h] = shortestEdgeSize(image.width, image.height, this.config.shortestEdge);
    return centerCrop(pilResize(image, w, h, "bicubic"), this.config.cropSize, this.config.cropSize);
  }

  processImage(image: RgbImage): ProcessedMedia {
    const s = this.config.cropSize;
    const tiles = this.family === "llava" ? [image] : this.#anyres(image);
    const data = new Float32Array(tiles.length * 3 * s * s);
    tiles.forEach((tile, i) => normalizeToChw(this.#clip(tile), this.config.norm, data, i * 3 * s * s));
    return {
      kind: "image",
      pixelValues: { data, shape: [tiles.length, 3, s, s] },
      ...(this.family === "llava_next" ? { imageSize: [image.height, image.width] as [number, number] } : {}),
      numTokens: this.imageTokens(image.height, image.width),
    };
  }

  /** The base image squashed to the tile size, then the tiles of the padded best-fit resize. */
  #anyres(image: RgbImage): RgbImage[] {
    const best = selectBestResolution(image.height, image.width, this.config.gridPinpoints);
    const [nh, nw] = patchOutputSize(image.height, image.width, best);
    const resized = pilResize(image, nw, nh, "bicubic");
    const padded = padImage(resized, best[1], best[0], Math.floor((best[1] - nw) / 2), Math.floor((best[0] - nh) / 2));
    const s = this.config.cropSize;
    const tiles = [pilResize(image, this.config.shortestEdge, this.config.shortestEdge, "bicubic")];
    for (let y = 0; y < best[0]; y += s) for (let x = 0; x < best[1]; x += s) tiles.push(cropImage(padded, x, y, s, s));
    return tiles;
  }

  /** Image tokens for an image of this size, as LlavaProcessor / LlavaNextProcessor count them. */
  imageTokens(height: number, width: number): number {
    const c = this.config;
    const side = Math.trunc(c.cropSize / c.patchSize);
    let n = side * side + c.numAdditionalImageTokens;
    if (this.family === "llava_next") {
      const [bh, bw] = selectBestResolution(height, width, c.gridPinpoints);
      let curH = side * Math.trunc(bh / c.cropSize);
      let curW = side * Math.trunc(bw / c.cropSize);
      if (width / height > curW / curH) curH -= 2 * Math.floor((curH - roundTo7(height * (curW / width))) / 2);
      else curW -= 2 * Math.floor((curW - roundTo7(width * (curH / height))) / 2);
      n += curH * curW + curH;
    }
    return c.dropsClsToken ? n - 1 : n;
  }

  expansion({ numTokens }: MediaTokens): string {
    return "<image>".repeat(numTokens);
  }
}
