/** Qwen2 / Qwen2.5 and DeepSeek-R1-Distill-Qwen: Llama with biases on q, k and v (not o). */
import { makeRope } from "../nn/rope.ts";
import { baseConfig, type HfConfig } from "./config.ts";
import { standardAttention, type DecoderSpec } from "./decoder.ts";

export function qwen2Spec(hf: HfConfig): DecoderSpec {
  const c = baseConfig(hf, { tieWordEmbeddings: true, ropeTheta: 1_000_000 });
  const rope = makeRope(c.headDim, c.ropeTheta, c.ropeTraditional, c.ropeScaling, c.maxPositionEmbeddings);
  return {
    config: c,
    blockStyle: "pre_norm",
    normOffsetOne: false,
    activation: "silu",
    embedScale: null,
    finalSoftcap: null,
    layers: c.layerTypes.map((_, i) => ({
      attention: standardAttention(c, i, { qkvBias: true, outBias: false }),
      rope,
    })),
  };
}
