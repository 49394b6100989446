/**
 * Qwen3-VL's video timestamps: in the prompt, each temporal patch group of a video is its own vision block,
 * introduced by `<t.t seconds>`, the mean time of the group's first and last frame (mlx-vlm 0.7.10's
 * `_video_group_timestamps` and `_timestamped_video_placeholder`, after the reference Qwen3-VL processor).
 */

/**
 * When a video's sampled frames were taken: the source frame indices the decoder read at the source's frame
 * rate (what ffmpeg reported), or, for frames handed over already decoded, evenly spaced at `fps`.
 */
export type VideoTiming = { sourceFps: number; indices: readonly number[] } | { fps: number };

/** Thrown for timing that does not fit the frames (a count mismatch, a rate that is not positive). */
export class VideoTimingError extends Error {
  override readonly name = "VideoTimingError";
}

/**
 * Seconds of each temporal group of `gridT · temporalPatch` frames. With source indices, the last index is
 * repeated to fill the final group, as the processor repeats the last frame.
 *
 * @example
 *   videoGroupTimestamps(2, 2, { fps: 2 }) // [0.25, 1.25]
 *   videoGroupTimestamps(2, 2, { sourceFps: 10, indices: [0, 10, 20] }) // [0.5, 2]
 */
export function videoGroupTimestamps(gridT: number, temporalPatch: number, timing: VideoTiming): number[] {
  const n = gridT * temporalPatch;
  let times: number[];
  if ("fps" in timing) {
    if (!(timing.fps > 0) || !Number.isFinite(timing.fps)) throw new VideoTimingError(`the video's fps must be positive, got ${timing.fps}`);
    times = Array.from({ length: n }, (_, i) => i / timing.fps);
  } else {
    const { sourceFps, indices } = timing;
    if (!(sourceFps > 0) || !Number.isFinite(sourceFps)) throw new VideoTimingError(`the video's source fps must be positive, got ${sourceFps}`);
    const padded = [...indices];
    while (padded.length > 0 && padded.length % temporalPatch !== 0) padded.push(padded.at(-1)!);
    if (padded.length !== n) throw new VideoTimingError(`${indices.length} frame indices for ${n} frames`);
    times = padded.map((i) => i / sourceFps);
  }
  const out: number[] = [];
  for (let first = 0; first < n; first += temporalPatch) out.push((times[first]! + times[first + temporalPatch - 1]!) / 2);
  return out;
}

/**
 * Python's `f"{x:.1f}"`: the binary value rounded to one decimal, exact ties to even (`toFixed` takes ties up).
 * A tie at one decimal is a value whose quadruple is an odd integer (0.25, 0.75, 1.25, ...).
 *
 * @example
 *   formatSeconds(0.25) // "0.2"   (Python; toFixed gives "0.3")
 *   formatSeconds(0.35) // "0.3"   (0.35 is stored as 0.34999…)
 */
export function formatSeconds(x: number): string {
  const q = x * 4;
  if (!Number.isInteger(q) || q % 2 === 0) return x.toFixed(1);
  const lo = Math.floor(x * 10);
  return ((lo % 2 === 0 ? lo : lo + 1) / 10).toFixed(1);
}

/**
 * The prompt text of one timestamped video: per group, `<t.t seconds>` and a vision block of `perGroup`
 * placeholder tokens.
 *
 * @example
 *   timestampedVideo([0.25, 1.25], 2, { start: "<|vision_start|>", pad: "<|video_pad|>", end: "<|vision_end|>" })
 *   // "<0.2 seconds><|vision_start|><|video_pad|><|video_pad|><|vision_end|><1.2 seconds><|vision_start|>…"
 */
export function timestampedVideo(timestamps: readonly number[], perGroup: number, tokens: { start: string; pad: string; end: string }): string {
  return timestamps.map((t) => `<${formatSeconds(t)} seconds>${tokens.start}${tokens.pad.repeat(perGroup)}${tokens.end}`).join("");
}
