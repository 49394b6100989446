/** The one error media fetching and decoding throws; the caller names the request part and answers 400. */

/**
 * Bad or refused media: an unreachable or private URL, a path outside the allowed folder, bytes that are not
 * an image or video, a file too large. The message is safe to show to the client.
 *
 * @example
 *   throw new MediaError("the image is 12000x12000 pixels, over the 64-megapixel limit");
 */
export class MediaError extends Error {
  override readonly name = "MediaError";
}

/**
 * Why a `width`x`height` image or video frame is over `maxPixels`, in megapixels, or in pixels when the limit is
 * under 0.1 megapixels (where one decimal of a megapixel would read "over the 0.0-megapixel limit").
 *
 * @example
 *   overPixelLimit("image", 10000, 10000, 64_000_000); // "the image is 10000x10000 (100.0 megapixels), over the 64.0-megapixel limit"
 *   overPixelLimit("video", 64, 64, 1000);             // "the video is 64x64 (4096 pixels), over the 1000-pixel limit"
 */
export function overPixelLimit(kind: "image" | "video", width: number, height: number, maxPixels: number): string {
  const [size, limit] = maxPixels >= 100_000
    ? [`${(width * height / 1e6).toFixed(1)} megapixels`, `${(maxPixels / 1e6).toFixed(1)}-megapixel`]
    : [`${width * height} pixels`, `${maxPixels}-pixel`];
  return `the ${kind} is ${width}x${height} (${size}), over the ${limit} limit`;
}

/** Media work stopped because its request was cancelled (the client went away, or another part failed). */
export class MediaCancelledError extends MediaError {
  constructor() {
    super("the request was cancelled before its media was loaded");
  }
}

export function cancelledError(): MediaCancelledError {
  return new MediaCancelledError();
}

/** Throws {@link cancelledError} once `signal` has aborted. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError();
}
