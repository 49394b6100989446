/**
 * The preprocessing half of a vision-language model: pixels to model tensors, and how many placeholder tokens
 * each image or video takes in the prompt. One processor per family (`qwen-vl-processor.ts`,
 * `gemma3-processor.ts`, `llava-processor.ts`); they match mlx-vlm 0.7.10's processors value for value.
 */
import type { RgbImage } from "../../media/index.ts";
import type { VideoTiming } from "./video-timestamps.ts";

/** A dense float32 tensor in row-major order. */
export interface VisionTensor {
  data: Float32Array;
  shape: number[];
}

/** One preprocessed image or video. */
export interface ProcessedMedia {
  kind: "image" | "video";
  /** Qwen: `[patches, 3·2·p·p]`; Gemma 3 / LLaVA: `[1, 3, H, W]`; LLaVA-NeXT: `[1 + tiles, 3, H, W]`. */
  pixelValues: VisionTensor;
  /** Qwen's `image_grid_thw` / `video_grid_thw` row. */
  gridThw?: [number, number, number];
  /** LLaVA-NeXT's `image_sizes` row: the original `[height, width]`. */
  imageSize?: [number, number];
  /** Placeholder tokens this item takes in the prompt. */
  numTokens: number;
  /**
   * Qwen3-VL video: seconds of each temporal group. The prompt then holds one `<t.t seconds>` and vision block
   * per group, so the item's placeholder tokens are `timestamps.length` equal runs with text between them.
   */
  timestamps?: number[];
}

/** What a prompt needs to know of an item: its kind, its placeholder tokens and how they are split. */
export type MediaTokens = Pick<ProcessedMedia, "kind" | "numTokens" | "timestamps">;

export interface VisionProcessor {
  readonly family: VisionFamily;
  processImage(image: RgbImage): ProcessedMedia;
  /**
   * Frames already sampled (see `sampleFrameIndices`) and when they were taken (the decoder's source indices
   * and fps; without it, evenly spaced at the processor's configured fps); null for families without video.
   */
  processVideo: ((frames: RgbImage[], timing?: VideoTiming) => ProcessedMedia) | null;
  /** What the chat template renders for one image / video, which {@link expandPlaceholders} replaces. */
  readonly marker: { image: string; video: string | null };
  /** The text that replaces one marker: the item's placeholder tokens and any wrapping (Qwen3-VL video: its timestamped blocks). */
  expansion(item: MediaTokens): string;
  /** The token that fills an item's positions, whose runs {@link placeholderRanges} finds. */
  readonly placeholderToken: { image: string; video: string | null };
}

export type VisionFamily = "qwen2_vl" | "qwen2_5_vl" | "qwen3_vl" | "gemma3" | "llava" | "llava_next";

/** Thrown for a `preprocessor_config.json` this code can't use. */
export class ProcessorConfigError extends Error {
  override readonly name = "ProcessorConfigError";
}

/**
 * Replaces each marker the template rendered with its item's expansion, in order. Throws when the markers
 * and the items don't pair up.
 *
 * @example
 *   expandPlaceholders("<|vision_start|><|image_pad|><|vision_end|>Hi", [{ kind: "image", numTokens: 4 }], qwen)
 */
export function expandPlaceholders(text: string, items: readonly MediaTokens[], processor: VisionProcessor): string {
  const markers = [processor.marker.image, processor.marker.video].filter((m): m is string => m !== null);
  let out = "";
  let at = 0;
  let used = 0;
  for (;;) {
    let next = -1;
    let marker = "";
    for (const m of markers) {
      const i = text.indexOf(m, at);
      if (i !== -1 && (next === -1 || i < next)) [next, marker] = [i, m];
    }
    if (next === -1) break;
    const item = items[used++];
    const kind = marker === processor.marker.image ? "image" : "video";
    if (!item || item.kind !== kind) throw new Error(`the rendered prompt's ${used}th media marker is a ${kind}, but the request's ${used}th media item is ${item ? `a ${item.kind}` : "missing"}`);
    out += text.slice(at, next) + processor.expansion(item);
    at = next + marker.length;
  }
  if (used !== items.length) throw new Error(`the chat template rendered ${used} media markers for ${items.length} media items`);
  return out + text.slice(at);
}

/**
 * The runs an item's placeholder tokens form in the prompt: one, or one per timestamped group.
 *
 * @example
 *   placeholderRuns({ kind: "video", numTokens: 24, timestamps: [0.25, 1.25] }) // [12, 12]
 */
export function placeholderRuns(item: MediaTokens): number[] {
  const groups = item.timestamps?.length ?? 0;
  if (groups === 0) return [item.numTokens];
  if (item.numTokens % groups !== 0) throw new Error(`${item.numTokens} placeholder tokens do not split into ${groups} groups`);
  return new Array<number>(groups).fill(item.numTokens / groups);
}

/**
 * Each item's `[start, end)` token range, from its first placeholder token to its last: the positions of
 * `tokenId`, cut in order into the items' runs (see {@link placeholderRuns}), each run contiguous. Throws when
 * the prompt holds a different number of placeholder tokens or a run is broken.
 *
 * @example
 *   placeholderRanges([1, 9, 9, 2, 9], 9, [[2], [1]]) // [[1, 3], [4, 5]]
 *   placeholderRanges([9, 5, 9, 9], 9, [[1, 2]]) // [[0, 4]]
 */
export function placeholderRanges(tokenIds: readonly number[], tokenId: number, runs: readonly (readonly number[])[]): [number, number][] {
  const positions: number[] = [];
  tokenIds.forEach((id, i) => {
    if (id === tokenId) positions.push(i);
  });
  const expected = runs.flat().reduce((a, b) => a + b, 0);
  if (positions.length !== expected) throw new Error(`the prompt holds ${positions.length} placeholder tokens; its media items need ${expected}`);
  const ranges: [number, number][] = [];
  let k = 0;
  for (const itemRuns of runs) {
    const start = positions[k]!;
    for (const n of itemRuns) {
      if (positions[k + n - 1] !== positions[k]! + n - 1) throw new Error("a media item's placeholder tokens are not contiguous");
      k += n;
    }
    ranges.push([start, positions[k - 1]! + 1]);
  }
  return ranges;
}
