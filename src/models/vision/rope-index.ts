/**
 * M-RoPE positions of a prompt (Qwen-VL's `get_rope_index`): text advances every axis by one; an image's
 * tokens take (t, h, w) grid positions (merged grid) offset by the position after the text before it; the
 * text after resumes at one past the largest position so far. The delta (largest + 1 - length) shifts every
 * later decode position.
 */
import type { Grid } from "./qwen-vit.ts";

export interface RopeIndexConfig {
  imageTokenId: number;
  videoTokenId: number;
  visionStartTokenId: number;
  mergeSize: number;
  /** Qwen3-VL: a video's frames are separate vision blocks (each a (1, h, w) grid) between timestamps. */
  videoFramesSeparate: boolean;
}

export interface RopeIndex {
  /** `[3][L]`: t, h and w positions of every prompt token. */
  positions: [number[], number[], number[]];
  /** Decode position of step n (0-based, after the prompt) is `promptLength + n + delta`. */
  delta: number;
}

/**
 * @example
 *   ropeIndex([1, 151652, 151655, 151655, 151655, 151655, 151653, 2], [[1, 4, 4]], [], cfg)
 *   // image of 2x2 merged tokens: t = [0, 1, 2, 2, 2, 2, 4, 5], delta -2
 */
export function ropeIndex(tokens: readonly number[], images: readonly Grid[], videos: readonly Grid[], cfg: RopeIndexConfig): RopeIndex {
  const vids = cfg.videoFramesSeparate ? videos.flatMap(([t, h, w]) => Array.from({ length: t }, (): Grid => [1, h, w])) : videos;
  const out: [number[], number[], number[]] = [[], [], []];
  let next = 0; // one past the largest position so far
  const text = (n: number) => {
    for (let i = 0; i < n; i++) for (const axis of out) axis.push(next + i);
    next += n;
  };
  let st = 0;
  let imageIdx = 0;
  let videoIdx = 0;
  while (true) {
    const ei = imageIdx < images.length ? tokens.indexOf(cfg.imageTokenId, st) : -1;
    const ev = videoIdx < vids.length ? tokens.indexOf(cfg.videoTokenId, st) : -1;
    if (ei < 0 && ev < 0) break;
    const isImage = ei >= 0 && (ev < 0 || ei < ev);
    const ed = isImage ? ei : ev;
    const [t, h, w] = isImage ? images[imageIdx++]! : vids[videoIdx++]!;
    const [gh, gw] = [h / cfg.mergeSize, w / cfg.mergeSize];
    text(ed - st);
    const base = next;
    for (let ti = 0; ti < t; ti++) {
      for (let hi = 0; hi < gh; hi++) {
        for (let wi = 0; wi < gw; wi++) {
          out[0].push(base + ti);
          out[1].push(base + hi);
          out[2].push(base + wi);
        }
      }
    }
    next = base + Math.max(t, gh, gw);
    st = ed + t * gh * gw;
    if (st > tokens.length) throw new RangeError(`the prompt has fewer placeholder tokens than grid [${t}, ${h}, ${w}] needs`);
  }
  if (imageIdx < images.length || videoIdx < vids.length) {
    throw new RangeError(`the prompt has placeholders for ${imageIdx} of ${images.length} images and ${videoIdx} of ${vids.length} video blocks`);
  }
  text(tokens.length - st);
  return { positions: out, delta: next - tokens.length };
}
