/** Phi-3: fused qkv_proj and gate_up_proj, partial rotary dims, longrope ("su") scaling. */
import { makeRope } from "../nn/rope.ts";
import { baseConfig, num, type HfConfig } from "./config.ts";
import { standardAttention, type DecoderSpec } from "./decoder.ts";

export function phi3Spec(hf: HfConfig): DecoderSpec {
  const c = baseConfig(hf, { tieWordEmbeddings: false });
  const ropeDims = Math.trunc(c.headDim * num(hf, "partial_rotary_factor", 1));
  let scaling = c.ropeScaling;
  if (scaling?.type === "su") scaling = { ...scaling, type: "longrope" };
  if (scaling && !["longrope", "linear"].includes(scaling.type)) scaling = null;
  if (scaling?.type === "longrope" && scaling.original_max_position_embeddings === undefined) {
    scaling = { ...scaling, original_max_position_embeddings: num(hf, "original_max_position_embeddings", 4096) };
  }
  const rope = makeRope(ropeDims, c.ropeTheta, c.ropeTraditional, scaling, c.maxPositionEmbeddings);
  return {
    config: c,
    blockStyle: "pre_norm",
    normOffsetOne: false,
    activation: "silu",
    embedScale: null,
    finalSoftcap: null,
    layers: c.layerTypes.map((_, i) => ({ attention: standardAttention(c, i, { qkvBias: false, outBias: false }), rope })),
  };
}
