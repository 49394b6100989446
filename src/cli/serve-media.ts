/** `serve`'s media flags: where images and videos may come from, their limits, ffmpeg, and video sampling. */
import { existsSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { DEFAULT_VIDEO_FPS, DEFAULT_VIDEO_MAX_FRAMES, type MediaServingOptions } from "../engine/frontend/media-inputs.ts";
import { DEFAULT_MEDIA_POLICY, type MediaPolicy } from "../media/index.ts";

const MIB = 2 ** 20;

/** citty definitions of the media flags (shown by `serve --help`). */
export const MEDIA_ARGS = {
  "allowed-local-media-path": {
    type: "string",
    description: "Folder whose files requests may name as local images and videos ({\"type\":\"image\",\"image\":PATH}); symlinks may not leave it (default: local paths refused)",
  },
  "allow-private-media-urls": {
    type: "boolean",
    description: "Fetch media URLs whose host is a private, loopback or link-local address (default: refused)",
  },
  ffmpeg: { type: "string", description: "The ffmpeg executable for video input (default: ffmpeg on PATH; images never need it)" },
  "video-fps": { type: "string", description: `Video frames sampled per second when a request sets no video_fps (default ${DEFAULT_VIDEO_FPS})` },
  "video-max-frames": {
    type: "string",
    description: `Most video frames sampled when a request sets no video_max_frames (default ${DEFAULT_VIDEO_MAX_FRAMES})`,
  },
  "max-media-bytes": {
    type: "string",
    description: `Largest image or video file fetched, decoded from base64 or read, e.g. 32M (default ${DEFAULT_MEDIA_POLICY.maxBytes / MIB}M)`,
  },
  "media-fetch-timeout": {
    type: "string",
    description: `Seconds one media URL may take to fetch, redirects included (default ${DEFAULT_MEDIA_POLICY.fetchTimeoutMs / 1000})`,
  },
  "max-image-pixels": {
    type: "string",
    description: `Largest image or video frame in pixels, checked from the header before decoding (default ${DEFAULT_MEDIA_POLICY.maxImagePixels})`,
  },
} as const;

type RawArgs = Record<string, string | boolean | undefined>;

function str(args: RawArgs, key: string): string | undefined {
  const v = args[key];
  return typeof v === "string" ? v : undefined;
}

function folder(value: string | undefined, fail: (message: string) => Error): string | null {
  if (value === undefined) return null;
  const dir = isAbsolute(value) ? value : resolve(value);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw fail(`--allowed-local-media-path must be an existing folder (got '${value}')`);
  return dir;
}

function positive(flag: string, value: string | undefined, fail: (message: string) => Error, integer: boolean, max = Infinity): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0 || n > max || (integer && !Number.isInteger(n))) {
    throw fail(`--${flag} must be a ${integer ? "whole number" : "number"} above 0${max < Infinity ? ` and at most ${max}` : ""} (got '${value}')`);
  }
  return n;
}

/**
 * Parses the media flags into the options the prompt thread runs under. `parseBytes` reads sizes such as `32M`.
 *
 * @example
 *   parseMediaFlags({ "video-fps": "1", "allow-private-media-urls": true }, (m) => new Error(m), parseBytes).videoFps // 1
 */
export function parseMediaFlags(args: RawArgs, fail: (message: string) => Error, parseBytes: (value: string) => number | null): MediaServingOptions {
  const bytesText = str(args, "max-media-bytes");
  const maxBytes = bytesText === undefined ? undefined : parseBytes(bytesText);
  if (maxBytes === null) throw fail(`--max-media-bytes must be a size in bytes such as 32M or 33554432 (got '${bytesText}')`);
  const timeout = positive("media-fetch-timeout", str(args, "media-fetch-timeout"), fail, false);
  const pixels = positive("max-image-pixels", str(args, "max-image-pixels"), fail, true);
  const ffmpeg = str(args, "ffmpeg");
  const policy: MediaPolicy = {
    ...DEFAULT_MEDIA_POLICY,
    allowPrivateUrls: args["allow-private-media-urls"] === true,
    allowedLocalPath: folder(str(args, "allowed-local-media-path"), fail),
    ...(maxBytes === undefined ? {} : { maxBytes }),
    ...(timeout === undefined ? {} : { fetchTimeoutMs: timeout * 1000 }),
    ...(pixels === undefined ? {} : { maxImagePixels: pixels }),
    ...(ffmpeg === undefined ? {} : { ffmpegPath: ffmpeg }),
  };
  const videoMaxFrames = positive("video-max-frames", str(args, "video-max-frames"), fail, true, 1024) ?? DEFAULT_VIDEO_MAX_FRAMES;
  if (videoMaxFrames < 2) throw fail(`--video-max-frames must be at least 2 (got '${videoMaxFrames}')`);
  return { policy, videoFps: positive("video-fps", str(args, "video-fps"), fail, false, 60) ?? DEFAULT_VIDEO_FPS, videoMaxFrames };
}
