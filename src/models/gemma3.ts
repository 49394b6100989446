/**
 * Gemma 3 (text): Gemma 2's block without soft-capping, plus (1 + w) q/k norms, sliding-window layers
 * (every `sliding_window_pattern`-th layer is global) with a local RoPE base, and the embedding scale
 * rounded to bfloat16 as the reference does.
 */
import { floatToBf16, bf16ToFloat } from "../mlx/array.ts";
import { makeRope } from "../nn/rope.ts";
import { baseConfig, num, type HfConfig } from "./config.ts";
import { standardAttention, type DecoderSpec } from "./decoder.ts";

export function gemma3Spec(hf: HfConfig): DecoderSpec {
  const c = baseConfig(hf, { ropeTheta: 1_000_000 });
  const pattern = num(hf, "sliding_window_pattern", 6);
  c.slidingWindow = c.slidingWindow ?? 512;
  c.layerTypes = c.layerTypes.map((_, i) => ((i + 1) % pattern !== 0 ? "sliding_attention" : "full_attention"));
  const local = makeRope(c.headDim, num(hf, "rope_local_base_freq", 10_000), false, null, c.maxPositionEmbeddings);
  const global = makeRope(c.headDim, c.ropeTheta, false, c.ropeScaling, c.maxPositionEmbeddings);
  const scale = num(hf, "query_pre_attn_scalar", 256) ** -0.5;
  return {
    config: c,
    blockStyle: "sandwich",
    normOffsetOne: true,
    activation: "gelu_approx",
    embedScale: bf16ToFloat(floatToBf16(c.hiddenSize ** 0.5)),
    finalSoftcap: null,
    layers: c.layerTypes.map((t, i) => ({
      attention: standardAttention(c, i, { scale, qkNorm: { eps: c.rmsNormEps, offsetOne: true } }),
      rope: t === "sliding_attention" ? local : global,
    })),
  };
}
