/**
 * Multimodal RoPE (Qwen2-VL, Qwen2.5-VL, Qwen3-VL). Positions are 3D, `[3, B, L]` for (t, h, w); each rotary
 * frequency reads its position from one axis. Qwen2/2.5-VL give the axes contiguous chunks of the
 * frequencies (`mrope_section` = [t, h, w] sizes); Qwen3-VL interleaves h and w through the t frequencies.
 * Text tokens have t = h = w, so a text run rotates exactly as plain RoPE at that position: decode steps use
 * the fast path with the cache offset shifted by the request's rope delta.
 */
import * as mx from "../mlx/index.ts";
import { RoPE, RopeConfigError } from "./rope.ts";

export type MRopeStyle = "chunked" | "interleaved";

/**
 * Which position axis (0 = t, 1 = h, 2 = w) each of the `freqDim` frequencies reads.
 *
 * @example
 *   mropeAxes([2, 3, 3], 8, "chunked");     // [0, 0, 1, 1, 1, 2, 2, 2]
 *   mropeAxes([4, 2, 2], 8, "interleaved"); // [0, 1, 2, 0, 1, 2, 0, 0]
 */
export function mropeAxes(section: readonly number[], freqDim: number, style: MRopeStyle): number[] {
  if (section.length !== 3) throw new RopeConfigError(`mrope_section must have 3 entries, got [${section.join(", ")}]`);
  const axes = new Array<number>(freqDim).fill(0);
  if (style === "interleaved") {
    for (const axis of [1, 2]) {
      for (let i = axis; i < Math.min(section[axis]! * 3, freqDim); i += 3) axes[i] = axis;
    }
    return axes;
  }
  let offset = section[0]!;
  for (const axis of [1, 2]) {
    for (let i = offset; i < Math.min(offset + section[axis]!, freqDim); i++) axes[i] = axis;
    offset += section[axis]!;
  }
  return axes;
}

export class MRoPE extends RoPE {
  readonly #axes: mx.Array;

  constructor(dims: number, base: number, readonly section: readonly number[], readonly style: MRopeStyle) {
    super(dims, false, base, 1, null);
    this.#axes = mx.array(mropeAxes(section, dims / 2, style), { dtype: "int32" });
  }

  /** positions: `[3, B, L]` (t, h, w) or `[B, L]` (text: the same on every axis) -> angles `[B, L, dims/2]`. */
  override anglesAt(positions: mx.Array): mx.Array {
    if (positions.ndim === 2) return super.anglesAt(positions);
    using picked = mx.take(positions, this.#axes, 0); // [dims/2, B, L]
    using t = mx.transpose(picked, [1, 2, 0]); // [B, L, dims/2]
    using p = mx.astype(t, "float32");
    return mx.multiply(p, this.inverseFrequencies());
  }
}
