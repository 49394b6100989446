/**
 * Media input: hostile bytes from URLs, data URLs and local paths, fetched under a policy, checked and decoded
 * to RGB pixels. It knows nothing of models; a model's processor turns the pixels into tensors.
 */
import { createHash } from "node:crypto";
import type { FetchOptions } from "./fetch.ts";
import { decodeImage, type RgbImage } from "./image.ts";
import type { MediaPolicy } from "./policy.ts";
import { loadMediaBytes } from "./source.ts";
import { type DecodedVideo, decodeVideo, type VideoSampling } from "./video.ts";

export { MediaCancelledError, MediaError } from "./errors.ts";
export { type FetchOptions, type MediaNetwork, SYSTEM_NETWORK } from "./fetch.ts";
export { findFfmpeg } from "./ffmpeg.ts";
export type { RgbImage } from "./image.ts";
export { DEFAULT_MEDIA_POLICY, type MediaPolicy } from "./policy.ts";
export { type MediaKind, sniffMime } from "./sniff.ts";
export { type DecodedVideo, sampleFrameIndices, type VideoSampling } from "./video.ts";

/** One image or video reference from a request. */
export type MediaInput = { kind: "image"; ref: string } | { kind: "video"; ref: string; sampling: VideoSampling };

/** A decoded item and the hex sha256 of its content (video: its frames plus the sampling that chose them). */
export type DecodedMedia =
  | { kind: "image"; image: RgbImage; contentHash: string }
  | { kind: "video"; video: DecodedVideo; sampling: VideoSampling; contentHash: string };

function hashFrames(frames: RgbImage[], extra: string): string {
  const hash = createHash("sha256");
  for (const f of frames) {
    hash.update(`${f.width}x${f.height};`);
    hash.update(f.data);
  }
  hash.update(extra);
  return hash.digest("hex");
}

/**
 * Loads and decodes one item. Every failure is a {@link MediaError} with a message fit for the client.
 * `options.signal` (the request's) cancels the work: a remote fetch closes its socket, ffmpeg is killed, and
 * an image decode (sharp cannot be interrupted) is dropped when it returns.
 *
 * @example
 *   const item = await loadMedia({ kind: "image", ref: "data:image/png;base64,..." }, DEFAULT_MEDIA_POLICY);
 */
export async function loadMedia(input: MediaInput, policy: MediaPolicy, options: FetchOptions = {}): Promise<DecodedMedia> {
  const { bytes } = await loadMediaBytes(input.ref, input.kind, policy, options);
  if (input.kind === "image") {
    const image = await decodeImage(bytes, policy.maxImagePixels, options.signal);
    return { kind: "image", image, contentHash: hashFrames([image], "image") };
  }
  const video = await decodeVideo(bytes, input.sampling, policy, options.signal);
  const extra = `video;fps=${input.sampling.fps};max_frames=${input.sampling.maxFrames}`;
  return { kind: "video", video, sampling: input.sampling, contentHash: hashFrames(video.frames, extra) };
}
