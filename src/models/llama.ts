/**
 * Llama family: Llama 2/3.x, SmolLM2, Mistral and DeepSeek-R1-Distill-Llama. The reference the other
 * families are stated against.
 */
import { makeRope } from "../nn/rope.ts";
import type { WeightStore } from "../nn/weights.ts";
import { baseConfig, type HfConfig } from "./config.ts";
import { standardAttention, type DecoderSpec } from "./decoder.ts";

export function llamaSpec(hf: HfConfig): DecoderSpec {
  const c = baseConfig(hf, { tieWordEmbeddings: true });
  const rope = makeRope(c.headDim, c.ropeTheta, c.ropeTraditional, c.ropeScaling, c.maxPositionEmbeddings);
  return {
    config: c,
    blockStyle: "pre_norm",
    normOffsetOne: false,
    activation: "silu",
    embedScale: null,
    finalSoftcap: null,
    layers: c.layerTypes.map((_, i) => ({ attention: standardAttention(c, i), rope })),
  };
}

/** Drops tensors HF checkpoints carry that the model does not use. */
export function sanitizeCommon(store: WeightStore, spec: DecoderSpec): void {
  for (const name of store.names()) if (name.includes("self_attn.rotary_emb.inv_freq")) store.drop(name);
  if (spec.config.tieWordEmbeddings) {
    store.drop("lm_head.weight");
    store.drop("lm_head.scales");
    store.drop("lm_head.biases");
  }
}
