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
