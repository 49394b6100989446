/**
 * The cases of the VLM benchmark (`vllm-mlx bench <vlm-folder>`), as the original vllm-mlx benchmark runs
 * them: images at ten resolutions from 224×224 to 1920×1080 (four with `--quick`), and videos of 2 to 32
 * frames (three with `--quick`). Images and frames are synthetic, made in-process, so the run needs no
 * network and no ffmpeg.
 */
import type { RgbImage } from "../media/index.ts";

export interface ImageCase {
  kind: "image";
  name: string;
  width: number;
  height: number;
}

export interface VideoCase {
  kind: "video";
  name: string;
  frames: number;
  /** The sampling rate the original benchmark pairs with this frame count (reported, not used to sample). */
  fps: number;
  width: number;
  height: number;
}

export type VlmCase = ImageCase | VideoCase;

const IMAGE_SIZES: readonly [number, number][] = [
  [224, 224], [336, 336], [448, 448], [512, 512], [672, 672], [768, 768], [896, 896], [1024, 1024], [1280, 720], [1920, 1080],
];
const QUICK_IMAGE_SIZES: readonly [number, number][] = [[224, 224], [448, 448], [768, 768], [1024, 1024]];
const VIDEO_FRAMES: readonly [number, number][] = [[2, 0.5], [4, 1], [6, 1], [8, 2], [12, 2], [16, 2], [24, 4], [32, 4]];
const QUICK_VIDEO_FRAMES: readonly [number, number][] = [[4, 1], [8, 2], [16, 2]];
/** The frame size of the synthetic clip (the original benchmark's test video is 640×480). */
export const VIDEO_FRAME_SIZE: readonly [number, number] = [640, 480];

/** An image case for a `WxH` size. */
export function imageCase(width: number, height: number): ImageCase {
  return { kind: "image", name: `${width}x${height}`, width, height };
}

/** A video case of `frames` synthetic 640×480 frames. */
export function videoCase(frames: number, fps: number): VideoCase {
  const [width, height] = VIDEO_FRAME_SIZE;
  return { kind: "video", name: `${frames} frames @ ${fps}fps`, frames, fps, width, height };
}

/**
 * The benchmark's case list.
 *
 * @example
 *   vlmCases({ video: false, quick: true }).map((c) => c.name); // ["224x224", "448x448", "768x768", "1024x1024"]
 */
export function vlmCases(options: { video: boolean; quick: boolean }): VlmCase[] {
  if (options.video) return (options.quick ? QUICK_VIDEO_FRAMES : VIDEO_FRAMES).map(([n, fps]) => videoCase(n, fps));
  return (options.quick ? QUICK_IMAGE_SIZES : IMAGE_SIZES).map(([w, h]) => imageCase(w, h));
}

/**
 * A deterministic synthetic picture: colour gradients, a checkerboard whose cell size follows the image,
 * and a disc whose place depends on `seed` (so video frames differ from one another).
 *
 * @example
 *   syntheticImage(224, 224).data.length; // 224 * 224 * 3
 */
export function syntheticImage(width: number, height: number, seed = 0): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`image size must be positive whole numbers (got ${width}x${height})`);
  }
  const data = new Uint8Array(width * height * 3);
  const cell = Math.max(4, Math.round(Math.min(width, height) / 12));
  const cx = ((0.25 + 0.5 * ((seed * 0.37) % 1)) * width) | 0;
  const cy = ((0.25 + 0.5 * ((seed * 0.61) % 1)) * height) | 0;
  const r2 = (Math.min(width, height) / 5) ** 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const check = ((x / cell) | 0) + ((y / cell) | 0) + seed;
      const inDisc = (x - cx) ** 2 + (y - cy) ** 2 < r2;
      data[i] = inDisc ? 240 : (x * 255) / Math.max(width - 1, 1);
      data[i + 1] = inDisc ? 200 - ((seed * 40) % 160) : (y * 255) / Math.max(height - 1, 1);
      data[i + 2] = check % 2 === 0 ? 200 : 40;
    }
  }
  return { width, height, data };
}

/** The frames of a synthetic clip: `frames` pictures whose disc moves from frame to frame. */
export function syntheticFrames(c: VideoCase): RgbImage[] {
  return Array.from({ length: c.frames }, (_, i) => syntheticImage(c.width, c.height, i + 1));
}
