/**
 * Rotary position embeddings with the scalings HF configs name: default, linear, llama3, yarn and
 * longrope (su). Frequencies are computed with MLX ops, in float32, so they match mlx-lm bit for bit.
 */
import * as mx from "../mlx/index.ts";
import { applyRotary, cosSin, inverseFrequencies } from "./rotary.ts";

export interface RopeScaling {
  type: string;
  factor?: number;
  low_freq_factor?: number;
  high_freq_factor?: number;
  original_max_position_embeddings?: number;
  beta_fast?: number;
  beta_slow?: number;
  mscale?: number;
  mscale_all_dim?: number;
  short_factor?: number[];
  long_factor?: number[];
  long_mscale?: number;
}

export class RopeConfigError extends Error {
  override readonly name = "RopeConfigError";
}

export class RoPE {
  constructor(
    readonly dims: number,
    readonly traditional: boolean,
    readonly base: number | null,
    readonly scale: number,
    readonly freqs: mx.Array | null,
    /** Multiplies the rotated features before rotation (yarn's mscale, longrope's scale). */
    readonly inputScale = 1,
  ) {}

  /**
   * x: [B, H, L, D]; offset: the position of the first token, a number or an int32 [B] array (per row).
   */
  forward(x: mx.Array, offset: number | mx.Array): mx.Array {
    if (this.inputScale === 1) return this.#rope(x, offset);
    using scaled = this.#scaleRotated(x);
    return this.#rope(scaled, offset);
  }

  /**
   * x: [B, H, L, D] rotated at explicit per-token positions (int32 `[B, L]`), for positions that are not a
   * contiguous run (M-RoPE overrides {@link anglesAt} to read `[3, B, L]`).
   */
  forwardAt(x: mx.Array, positions: mx.Array): mx.Array {
    if (this.traditional) throw new RopeConfigError("explicit positions need a non-traditional RoPE");
    using angles = this.anglesAt(positions); // [B, L, dims/2]
    const [cos, sin] = cosSin(angles, x.dtype);
    using c0 = cos;
    using s0 = sin;
    using c = mx.expandDims(c0, [1]); // [B, 1, L, dims]
    using s = mx.expandDims(s0, [1]);
    if (this.inputScale === 1) return applyRotary(x, c, s);
    using scaled = this.#scaleRotated(x);
    return applyRotary(scaled, c, s);
  }

  /** Rotation angles `[B, L, dims/2]` (float32) of positions `[B, L]`. */
  anglesAt(positions: mx.Array): mx.Array {
    using p = mx.astype(positions, "float32");
    using ps = this.scale === 1 ? null : mx.multiply(p, this.scale);
    using p3 = mx.expandDims(ps ?? p, [-1]);
    return mx.multiply(p3, this.inverseFrequencies());
  }

  #invFreq: mx.Array | null = null;

  /** `1 / freqs` (from the base, or the scaled frequencies this RoPE was built with), float32 `[dims/2]`. */
  inverseFrequencies(): mx.Array {
    this.#invFreq ??= this.freqs ? mx.divide(1, this.freqs) : inverseFrequencies(this.dims, this.base!);
    return this.#invFreq;
  }

  #rope(x: mx.Array, offset: number | mx.Array): mx.Array {
    return mx.rope(x, this.dims, {
      traditional: this.traditional,
      base: this.freqs ? null : this.base,
      scale: this.scale,
      offset,
      freqs: this.freqs ?? undefined,
    });
  }

  #scaleRotated(x: mx.Array): mx.Array {
    const d = x.shape[x.ndim - 1]!;
    if (d === this.dims) return mx.multiply(x, this.inputScale);
    const [head, tail] = mx.split(x, [this.dims], -1) as [mx.Array, mx.Array];
    using h = head;
    using t = tail;
    using hs = mx.multiply(h, this.inputScale);
    return mx.concatenate([hs, t], -1);
  }
}

/** `base ** (arange(0, dims, 2) / dims)` in float32. */
function baseFreqs(dims: number, base: number): mx.Array {
  using idx = mx.arange(0, dims, 2, "float32");
  using e = mx.divide(idx, dims);
  using b = mx.full([], base, "float32");
  return mx.power(b, e);
}

function llama3Freqs(dims: number, base: number, s: RopeScaling): mx.Array {
  const factor = s.factor ?? 1;
  const low = s.low_freq_factor ?? 1;
  const high = s.high_freq_factor ?? 4;
  const oldCtx = s.original_max_position_embeddings ?? 8192;
  const lowWavelen = oldCtx / low;
  const highWavelen = oldCtx / high;
  using freqs = baseFreqs(dims, base);
  using wavelens = mx.multiply(freqs, 2 * Math.PI);
  using scaled = mx.multiply(freqs, factor);
  using isLow = mx.greater(wavelens, lowWavelen);
  using f1 = mx.where(isLow, scaled, freqs);
  using gtHigh = mx.greater(wavelens, highWavelen);
  using ltLow = mx.less(wavelens, lowWavelen);
  using isMedium = mx.logicalAnd(gtHigh, ltLow);
  using r = mx.divide(oldCtx, wavelens);
  using r2 = mx.subtract(r, low);
  using smooth = mx.divide(r2, high - low);
  using oneMinus = mx.subtract(1, smooth);
  using a = mx.divide(oneMinus, factor);
  using denom = mx.add(a, smooth);
  using smoothFreqs = mx.divide(f1, denom);
  return mx.where(isMedium, smoothFreqs, f1);
}

function yarnParams(dims: number, base: number, s: RopeScaling): { freqs: mx.Array; mscale: number } {
  const factor = s.factor ?? 1;
  const orig = s.original_max_position_embeddings ?? 4096;
  const betaFast = s.beta_fast ?? 32;
  const betaSlow = s.beta_slow ?? 1;
  const correction = (rot: number) => (dims * Math.log(orig / (rot * 2 * Math.PI))) / (2 * Math.log(base));
  const lo = Math.max(Math.floor(correction(betaFast)), 0);
  let hi = Math.min(Math.ceil(correction(betaSlow)), dims - 1);
  if (lo === hi) hi += 0.001;
  const getMscale = (scale: number, m: number) => (scale <= 1 ? 1 : 0.1 * m * Math.log(scale) + 1);
  const mscale = getMscale(factor, s.mscale ?? 1) / getMscale(factor, s.mscale_all_dim ?? 0);
  using extra = baseFreqs(dims, base);
  using inter = mx.multiply(extra, factor);
  using ramp0 = mx.arange(0, dims / 2, 1, "float32");
  using ramp1 = mx.subtract(ramp0, lo);
  using ramp2 = mx.divide(ramp1, hi - lo);
  using ramp3 = mx.maximum(ramp2, 0);
  using ramp = mx.minimum(ramp3, 1);
  using mask = mx.subtract(1, ramp);
  using num = mx.multiply(inter, extra);
  using a = mx.multiply(inter, mask);
  using invMask = mx.subtract(1, mask);
  using b = mx.multiply(extra, invMask);
  using den = mx.add(a, b);
  return { freqs: mx.divide(num, den), mscale };
}

/**
 * Builds the RoPE a config asks for, as mlx-lm's `initialize_rope` does.
 *
 * @example
 *   const rope = makeRope(64, 10000, false, { type: "llama3", factor: 8 }, 131072);
 */
export function makeRope(
  dims: number,
  base: number,
  traditional: boolean,
  scaling: RopeScaling | null,
  maxPositionEmbeddings: number,
): RoPE {
  const type = scaling?.type ?? "default";
  switch (type) {
    case "default":
      return new RoPE(dims, traditional, base, 1, null);
    case "linear":
      return new RoPE(dims, traditional, base, 1 / (scaling!.factor ?? 1), null);
    case "llama3":
      return new RoPE(dims, traditional, null, 1, llama3Freqs(dims, base, scaling!));
    case "yarn": {
      const { freqs, mscale } = yarnParams(dims, base, scaling!);
      return new RoPE(dims, traditional, null, 1, freqs, mscale);
    }
    case "longrope": {
      const s = scaling!;
      const orig = s.original_max_position_embeddings ?? 4096;
      if (!s.long_factor) throw new RopeConfigError("longrope scaling needs long_factor");
      using f = baseFreqs(dims, base);
      using lf = mx.array(s.long_factor, { dtype: "float32" });
      const factor = maxPositionEmbeddings / orig;
      const scale = s.long_mscale ?? (factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(orig)));
      return new RoPE(dims, false, null, 1, mx.multiply(lf, f), scale);
    }
    default:
      throw new RopeConfigError(`unsupported rope_scaling type '${type}'`);
  }
}
