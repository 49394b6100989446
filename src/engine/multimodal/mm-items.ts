/**
 * The media of one request as the engine core sees it (vLLM's `MultiModalFeatureSpec`): each image or video is
 * its preprocessed pixels, its content hash and where its placeholder tokens sit in the prompt. Plain data (typed
 * arrays and numbers) so a request crosses the worker boundary by `postMessage`, its pixels transferred.
 */
import type { MultiModalPlaceholder } from "../core/mm-keys.ts";

/** One preprocessed image or video of a prompt. */
export interface MultiModalItem extends MultiModalPlaceholder {
  kind: "image" | "video";
  /** Row-major float32 pixels as the family's processor writes them (Qwen: `[patches, 3·T·p·p]`; Gemma 3 / LLaVA: `[1, 3, H, W]`; LLaVA-NeXT: `[1 + tiles, 3, H, W]`). */
  pixelValues: { data: Float32Array; shape: number[] };
  /** Qwen-VL's `image_grid_thw` / `video_grid_thw` row (patches before merging). */
  gridThw?: [number, number, number];
  /** LLaVA-NeXT's `image_sizes` row, the original `[height, width]` its tiles are packed by. */
  imageSize?: [number, number];
}

/**
 * Why `items` cannot belong to a prompt of `numPromptTokens` tokens (null when they can): each item's pixels
 * match their shape, Qwen's have a grid, and the placeholders are sorted, in the prompt and non-overlapping.
 */
export function checkMultiModalItems(items: readonly MultiModalItem[], numPromptTokens: number): string | null {
  let end = 0;
  for (const [i, item] of items.entries()) {
    const { data, shape } = item.pixelValues ?? {};
    if (!(data instanceof Float32Array) || !Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
      return `multimodal item ${i} has no pixel values`;
    }
    if (shape.reduce((a, b) => a * b, 1) !== data.length) return `multimodal item ${i}'s pixels do not fill their shape [${shape.join(", ")}]`;
    if (typeof item.hash !== "string" || item.hash.length === 0) return `multimodal item ${i} has no content hash`;
    if (!Number.isInteger(item.offset) || !Number.isInteger(item.length) || item.offset < end || item.length <= 0) {
      return `multimodal item ${i} (offset ${item.offset}, length ${item.length}) overlaps the item before it or is empty`;
    }
    end = item.offset + item.length;
    if (end > numPromptTokens) return `multimodal item ${i} ends at ${end}, past the prompt's ${numPromptTokens} tokens`;
  }
  return null;
}
