/** Qwen3: Llama with per-head RMSNorm on queries and keys, and an explicit head_dim. */
import { makeRope } from "../nn/rope.ts";
import { baseConfig, type HfConfig } from "./config.ts";
import { standardAttention, type DecoderSpec } from "./decoder.ts";

export function qwen3Spec(hf: HfConfig): DecoderSpec {
  const c = baseConfig(hf, { tieWordEmbeddings: true, ropeTheta: 1_000_000 });
  const rope = makeRope(c.headDim, c.ropeTheta, false, c.ropeScaling, c.maxPositionEmbeddings);
  return {
    config: c,
    blockStyle: "pre_norm",
    normOffsetOne: false,
    activation: "silu",
    embedScale: null,
    finalSoftcap: null,
    layers: c.layerTypes.map((_, i) => ({
      attention: standardAttention(c, i, { qkNorm: { eps: c.rmsNormEps, offsetOne: false } }),
      rope,
    })),
  };
}
