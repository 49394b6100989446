/** Video decoding with ffmpeg: count frames, pick indices as Qwen's sampler does, decode only those to RGB. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MediaError, throwIfCancelled } from "./errors.ts";
import { findFfmpeg, runFfmpeg } from "./ffmpeg.ts";
import type { RgbImage } from "./image.ts";
import type { MediaPolicy } from "./policy.ts";
import { PpmStream } from "./ppm.ts";

/** How frames are sampled: `fps` frames per second of video, between `minFrames` and `maxFrames`. */
export interface VideoSampling {
  fps: number;
  minFrames: number;
  maxFrames: number;
  /** Frame counts are multiples of this (Qwen's temporal patch, 2). */
  frameFactor: number;
}

export interface DecodedVideo {
  frames: RgbImage[];
  /** Frame rate of the source, total frames in it, and the indices sampled. */
  sourceFps: number;
  totalFrames: number;
  indices: number[];
}

/** numpy's `round` (half to even), which the reference sampler applies to `linspace`. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The frame indices Qwen's sampler reads: `total / sourceFps * fps` frames, clamped to
 * `[ceil(min), floor(min(max, total))]` in multiples of the frame factor, spread evenly from first to last.
 *
 * @example
 *   sampleFrameIndices(30, 10, { fps: 2, minFrames: 4, maxFrames: 768, frameFactor: 2 }) // [0, 6, 12, 17, 23, 29]
 */
export function sampleFrameIndices(total: number, sourceFps: number, s: VideoSampling): number[] {
  const f = s.frameFactor;
  const lo = Math.ceil(s.minFrames / f) * f;
  const hi = Math.floor(Math.min(s.maxFrames, total) / f) * f;
  let n = (total / sourceFps) * s.fps;
  n = Math.min(Math.max(n, lo), hi, total);
  n = Math.floor(n / f) * f;
  if (n < f || n > total) throw new MediaError(`the video has ${total} frames; at least ${f} are needed`);
  const step = n === 1 ? 0 : (total - 1) / (n - 1);
  return Array.from({ length: n }, (_, i) => roundHalfEven(i === n - 1 ? total - 1 : i * step));
}

interface Probe {
  totalFrames: number;
  fps: number;
}

function parseFps(stderr: string): number | null {
  const stream = /Stream #\d+:\d+[^\n]*: Video: [^\n]*/.exec(stderr)?.[0];
  const m = stream ? /([\d.]+)(k?) (?:fps|tbr)/.exec(stream) : null;
  if (!m) return null;
  const v = Number(m[1]) * (m[2] === "k" ? 1000 : 1);
  return Number.isFinite(v) && v > 0 ? v : null;
}

/**
 * Input options for a client's file: the container demuxers the sniffer admits (MP4/QuickTime, Matroska/WebM, AVI,
 * MPEG-PS), and the file protocol only. A file ffmpeg would otherwise read as a playlist (HLS, concat), directly or
 * nested in a container, cannot make it open other files or URLs: a playlist naming file:///some/video decoded
 * that video in place of the client's.
 */
const INPUT_GUARD = ["-protocol_whitelist", "file", "-format_whitelist", "mov,matroska,avi,mpeg"];

async function probe(ffmpeg: string, file: string, timeoutMs: number, signal?: AbortSignal): Promise<Probe> {
  const run = await runFfmpeg(ffmpeg, [...INPUT_GUARD, "-i", file, "-map", "0:v:0", "-c", "copy", "-f", "null", "-"], { timeoutMs, ...(signal ? { signal } : {}) });
  if (/matches no streams|does not contain any stream/.test(run.stderr)) throw new MediaError("the video has no video stream");
  if (run.exitCode !== 0) throw new MediaError("the video data is corrupt or not a supported video");
  const frames = [...run.stderr.matchAll(/frame=\s*(\d+)/g)].at(-1)?.[1];
  const totalFrames = frames === undefined ? 0 : Number(frames);
  if (totalFrames === 0) throw new MediaError("the video has no frames");
  const fps = parseFps(run.stderr);
  if (fps === null) throw new MediaError("the video's frame rate could not be read");
  return { totalFrames, fps };
}

async function decodeFrames(ffmpeg: string, file: string, indices: number[], policy: MediaPolicy, signal?: AbortSignal): Promise<RgbImage[]> {
  const wanted = new Set(indices);
  const frames: RgbImage[] = [];
  const ppm = new PpmStream(policy.maxImagePixels, (frame, index) => {
    if (wanted.has(index)) frames.push(frame);
  });
  const args = [...INPUT_GUARD, "-i", file, "-map", "0:v:0", "-fps_mode", "passthrough", "-f", "image2pipe", "-c:v", "ppm", "-pix_fmt", "rgb24", "pipe:1"];
  const run = await runFfmpeg(ffmpeg, args, { timeoutMs: policy.decodeTimeoutMs, onStdout: (chunk) => ppm.push(chunk), ...(signal ? { signal } : {}) });
  if (run.exitCode !== 0 && frames.length === 0) throw new MediaError("the video data is corrupt or not a supported video");
  // A stream whose container over-counts frames: repeat the last decoded frame, as a short read would.
  while (frames.length > 0 && frames.length < indices.length) frames.push(frames.at(-1)!);
  if (frames.length === 0) throw new MediaError("the video has no frames that decode");
  return frames;
}

/**
 * Decodes the sampled frames of a video. Bytes go to a private temporary file (containers such as MP4 need
 * seeking), which is removed afterwards. `signal` (the request's) kills a running ffmpeg.
 *
 * @example
 *   const video = await decodeVideo(mp4Bytes, { fps: 2, minFrames: 4, maxFrames: 64, frameFactor: 2 }, policy);
 */
export async function decodeVideo(bytes: Uint8Array, sampling: VideoSampling, policy: MediaPolicy, signal?: AbortSignal): Promise<DecodedVideo> {
  throwIfCancelled(signal);
  const ffmpeg = findFfmpeg(policy.ffmpegPath);
  const dir = await mkdtemp(join(tmpdir(), "vllm-mlx-video-"));
  try {
    const file = join(dir, "input");
    await writeFile(file, bytes, { mode: 0o600 });
    const { totalFrames, fps } = await probe(ffmpeg, file, policy.decodeTimeoutMs, signal);
    const indices = sampleFrameIndices(totalFrames, fps, sampling);
    const frames = await decodeFrames(ffmpeg, file, indices, policy, signal);
    return { frames, sourceFps: fps, totalFrames, indices };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
