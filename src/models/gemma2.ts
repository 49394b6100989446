/**
 * Gemma 2: four norms per block with (1 + w) weights, GeGLU, embeddings scaled by sqrt(hidden), tanh
 * soft-capping of attention and final logits, query scale from query_pre_attn_scalar, and sliding-window
 * attention on even layers (as HF defines it; mlx-lm attends fully, which agrees below the window).
 */
import { makeRope } from "../nn/rope.ts";
import { baseConfig, num, optNum, type HfConfig } from "./config.ts";
import { standardAttention, type DecoderSpec } from "./decoder.ts";

export function gemma2Spec(hf: HfConfig): DecoderSpec {
  const c = baseConfig(hf, { tieWordEmbeddings: true });
  c.tieWordEmbeddings = true;
  c.layerTypes = c.layerTypes.map((_, i) => (i % 2 === 0 && c.slidingWindow ? "sliding_attention" : "full_attention"));
  const rope = makeRope(c.headDim, c.ropeTheta, c.ropeTraditional, null, c.maxPositionEmbeddings);
  const scale = num(hf, "query_pre_attn_scalar", 144) ** -0.5;
  const softcap = optNum(hf, "attn_logit_softcapping") ?? 50;
  return {
    config: c,
    blockStyle: "sandwich",
    normOffsetOne: true,
    activation: "gelu_approx",
    embedScale: c.hiddenSize ** 0.5,
    finalSoftcap: optNum(hf, "final_logit_softcapping") ?? 30,
    layers: c.layerTypes.map((_, i) => ({ attention: standardAttention(c, i, { scale, softcap }), rope })),
  };
}
