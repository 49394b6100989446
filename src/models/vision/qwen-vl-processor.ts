/**
 * Qwen2-VL / Qwen2.5-VL / Qwen3-VL preprocessing: `smart_resize` to multiples of patch × merge within the pixel
 * budget, PIL bicubic, rescale + normalize, then patches laid out merge-window by merge-window with the
 * temporal patch (2) innermost after channels, as mlx-vlm's numpy port of the HF processor emits them.
 */
import type { RgbImage } from "../../media/index.ts";
import { type Normalization, normalizeToChw } from "./image-ops.ts";
import { pilResize } from "./pil-resample.ts";
import { type MediaTokens, ProcessorConfigError, type ProcessedMedia, type VisionFamily, type VisionProcessor } from "./processor.ts";
import { timestampedVideo, type VideoTiming, VideoTimingError, videoGroupTimestamps } from "./video-timestamps.ts";

export interface QwenVlProcessorConfig {
  patchSize: number;
  mergeSize: number;
  temporalPatchSize: number;
  minPixels: number;
  maxPixels: number;
  videoMinPixels: number;
  videoMaxPixels: number;
  /** The rate a video's frames are taken to be spaced at when no source timing comes with them (`fps`, 2). */
  videoFps: number;
  norm: Normalization;
}

/** Python's `round` (half to even) on a float, as `smart_resize` uses it. */
function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Qwen's `smart_resize`: each side rounded to a multiple of `factor`, then scaled into `[minPixels, maxPixels]`.
 * For video, `frames` (rounded up to the temporal factor) multiplies the area.
 *
 * @example
 *   smartResize(480, 640, 28, 56 * 56, 28 * 28 * 1280) // [476, 644]
 */
export function smartResize(height: number, width: number, factor: number, minPixels: number, maxPixels: number, frames = 1, temporal = 1): [number, number] {
  if (Math.max(height, width) / Math.min(height, width) > 200) {
    throw new ProcessorConfigError(`the image's aspect ratio ${(Math.max(height, width) / Math.min(height, width)).toFixed(1)} is over 200`);
  }
  let h = pyRound(height / factor) * factor;
  let w = pyRound(width / factor) * factor;
  const t = Math.ceil(frames / temporal) * temporal;
  if (t * h * w > maxPixels) {
    const beta = Math.sqrt((frames * height * width) / maxPixels);
    h = Math.max(factor, Math.floor(height / beta / factor) * factor);
    w = Math.max(factor, Math.floor(width / beta / factor) * factor);
  } else if (t * h * w < minPixels) {
    const beta = Math.sqrt(minPixels / (frames * height * width));
    h = Math.ceil((height * beta) / factor) * factor;
    w = Math.ceil((width * beta) / factor) * factor;
  }
  return [h, w];
}

/** `[T, 3, H, W]` frames (T a multiple of the temporal patch) to `[gridT·gridH·gridW, 3·tps·p·p]` patches. */
function patchify(frames: Float32Array[], height: number, width: number, c: QwenVlProcessorConfig): { data: Float32Array; grid: [number, number, number] } {
  const p = c.patchSize, m = c.mergeSize, tps = c.temporalPatchSize;
  const gridT = frames.length / tps, gridH = height / p, gridW = width / p;
  const patchLen = 3 * tps * p * p;
  const data = new Float32Array(gridT * gridH * gridW * patchLen);
  const plane = height * width;
  let o = 0;
  for (let t = 0; t < gridT; t++) {
    for (let bh = 0; bh < gridH / m; bh++) {
      for (let bw = 0; bw < gridW / m; bw++) {
        for (let mh = 0; mh < m; mh++) {
          for (let mw = 0; mw < m; mw++) {
            const y0 = (bh * m + mh) * p, x0 = (bw * m + mw) * p;
            for (let ch = 0; ch < 3; ch++) {
              for (let tt = 0; tt < tps; tt++) {
                const frame = frames[t * tps + tt]!;
                for (let py = 0; py < p; py++) {
                  const row = ch * plane + (y0 + py) * width + x0;
                  for (let px = 0; px < p; px++) data[o++] = frame[row + px]!;
                }
              }
            }
          }
        }
      }
    }
  }
  return { data, grid: [gridT, gridH, gridW] };
}

const VISION_START = "<|vision_start|>";
const VISION_END = "<|vision_end|>";
const VIDEO_PAD = "<|video_pad|>";

/**
 * Qwen2-VL and Qwen2.5-VL expand the bare pad token in place. Qwen3-VL takes the whole vision block of a video
 * (`<|vision_start|><|video_pad|><|vision_end|>`), which becomes one `<t.t seconds>` and block per temporal group.
 */
export class QwenVlProcessor implements VisionProcessor {
  readonly marker: { image: string; video: string };
  readonly placeholderToken = { image: "<|image_pad|>", video: VIDEO_PAD };
  readonly processVideo: (frames: RgbImage[], timing?: VideoTiming) => ProcessedMedia;

  constructor(
    readonly family: VisionFamily,
    readonly config: QwenVlProcessorConfig,
  ) {
    this.marker = { image: "<|image_pad|>", video: family === "qwen3_vl" ? `${VISION_START}${VIDEO_PAD}${VISION_END}` : VIDEO_PAD };
    this.processVideo = (frames, timing) => this.#video(frames, timing);
  }

  get factor(): number {
    return this.config.patchSize * this.config.mergeSize;
  }

  /** Image tokens for an image of this size, without touching pixels. */
  imageTokens(height: number, width: number): number {
    const [h, w] = smartResize(height, width, this.factor, this.config.minPixels, this.config.maxPixels);
    return (h / this.config.patchSize) * (w / this.config.patchSize) / this.config.mergeSize ** 2;
  }

  processImage(image: RgbImage): ProcessedMedia {
    const [h, w] = smartResize(image.height, image.width, this.factor, this.config.minPixels, this.config.maxPixels);
    const chw = normalizeToChw(pilResize(image, w, h, "bicubic"), this.config.norm);
    const frames = new Array<Float32Array>(this.config.temporalPatchSize).fill(chw);
    return this.#result("image", frames, h, w);
  }

  #video(frames: RgbImage[], timing: VideoTiming = { fps: this.config.videoFps }): ProcessedMedia {
    const first = frames[0];
    if (!first) throw new ProcessorConfigError("a video needs at least one frame");
    if ("indices" in timing && timing.indices.length !== frames.length) {
      throw new ProcessorConfigError(`${timing.indices.length} frame indices for ${frames.length} frames`);
    }
    const c = this.config;
    const [h, w] = smartResize(first.height, first.width, this.factor, c.videoMinPixels, c.videoMaxPixels, frames.length, c.temporalPatchSize);
    const chw = frames.map((f) => normalizeToChw(pilResize(f, w, h, "bicubic"), c.norm));
    while (chw.length % c.temporalPatchSize !== 0) chw.push(chw.at(-1)!);
    const out = this.#result("video", chw, h, w);
    if (this.family !== "qwen3_vl") return out;
    try {
      return { ...out, timestamps: videoGroupTimestamps(out.gridThw![0], c.temporalPatchSize, timing) };
    } catch (e) {
      if (e instanceof VideoTimingError) throw new ProcessorConfigError(e.message);
      throw e;
    }
  }

  #result(kind: "image" | "video", frames: Float32Array[], h: number, w: number): ProcessedMedia {
    const { data, grid } = patchify(frames, h, w, this.config);
    const patchLen = 3 * this.config.temporalPatchSize * this.config.patchSize ** 2;
    const numTokens = (grid[0] * grid[1] * grid[2]) / this.config.mergeSize ** 2;
    return { kind, pixelValues: { data, shape: [data.length / patchLen, patchLen] }, gridThw: grid, numTokens };
  }

  expansion(item: MediaTokens): string {
    if (item.kind === "image") return this.placeholderToken.image.repeat(item.numTokens);
    if (this.family !== "qwen3_vl") return VIDEO_PAD.repeat(item.numTokens);
    const groups = item.timestamps?.length ?? 0;
    if (groups === 0 || item.numTokens % groups !== 0) throw new Error(`a Qwen3-VL video needs a timestamp per temporal group (${groups} for ${item.numTokens} tokens)`);
    return timestampedVideo(item.timestamps!, item.numTokens / groups, { start: VISION_START, pad: VIDEO_PAD, end: VISION_END });
  }
}
