/** Pixel arithmetic the reference processors share: crop, pad, and rescale + normalize to float32 CHW. */
import type { RgbImage } from "../../media/index.ts";

/** How 8-bit values become model inputs: `(x * rescale - mean[c]) / std[c]`, in float32 as numpy computes it. */
export interface Normalization {
  rescaleFactor: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** Round `x * rescale` to float32 from a float32 factor (mlx-vlm's Qwen port) or from a float64 one (transformers). */
  rescaleIn: "float32" | "float64";
}

/**
 * `image` as float32 `[3, H, W]`, rescaled and normalized. Written into `out` at `offset` when given.
 *
 * @example
 *   const chw = normalizeToChw(image, { rescaleFactor: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], rescaleIn: "float64" });
 */
export function normalizeToChw(image: RgbImage, n: Normalization, out?: Float32Array, offset = 0): Float32Array {
  const plane = image.width * image.height;
  const target = out ?? new Float32Array(plane * 3);
  const scale = n.rescaleIn === "float32" ? Math.fround(n.rescaleFactor) : n.rescaleFactor;
  const lut = new Float32Array(256 * 3);
  for (let c = 0; c < 3; c++) {
    const mean = Math.fround(n.mean[c]!);
    const std = Math.fround(n.std[c]!);
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = Math.fround(Math.fround(Math.fround(v * scale) - mean) / std);
  }
  const { data } = image;
  for (let i = 0; i < plane; i++) {
    target[offset + i] = lut[data[i * 3]!]!;
    target[offset + plane + i] = lut[256 + data[i * 3 + 1]!]!;
    target[offset + 2 * plane + i] = lut[512 + data[i * 3 + 2]!]!;
  }
  return target;
}

/** The centered `width` x `height` window of `image` (top/left offsets rounded down, as transformers does). */
export function centerCrop(image: RgbImage, width: number, height: number): RgbImage {
  const top = Math.floor((image.height - height) / 2);
  const left = Math.floor((image.width - width) / 2);
  if (top < 0 || left < 0) throw new Error(`cannot crop ${image.width}x${image.height} to ${width}x${height}`);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((y + top) * image.width + left) * 3;
    data.set(image.data.subarray(from, from + width * 3), y * width * 3);
  }
  return { width, height, data };
}

/** `image` placed in a `width` x `height` canvas of zeros at (`left`, `top`). */
export function padImage(image: RgbImage, width: number, height: number, left: number, top: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < image.height; y++) {
    data.set(image.data.subarray(y * image.width * 3, (y + 1) * image.width * 3), ((y + top) * width + left) * 3);
  }
  return { width, height, data };
}

/** The `width` x `height` window at (`left`, `top`); it must lie inside the image. */
export function cropImage(image: RgbImage, left: number, top: number, width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((y + top) * image.width + left) * 3;
    data.set(image.data.subarray(from, from + width * 3), y * width * 3);
  }
  return { width, height, data };
}
