/**
 * The one place a model folder is recognised as a vision-language model, from its config alone (`serve` needs
 * no flag): Qwen2-VL, Qwen2.5-VL and Qwen3-VL (`model_type` with a `vision_config`), Gemma 3 (`gemma3` with a
 * `vision_config`; without one it is a text model), LLaVA 1.5 (`llava`) and LLaVA-NeXT (`llava_next`,
 * any-resolution tiling).
 */
import type { WeightStore } from "../../nn/weights.ts";
import type { HfConfig } from "../config.ts";
import { gemma3VisionConfig, Gemma3VisionModel } from "./gemma3-vision.ts";
import { llavaConfig, LlavaModel } from "./llava.ts";
import { llavaNextConfig, LlavaNextModel } from "./llava-next.ts";
import { type VisionLanguageModel, vlmFamily, VlmModel } from "./vlm.ts";

export type VlmArch = "qwen2_vl" | "qwen2_5_vl" | "qwen3_vl" | "gemma3" | "llava" | "llava_next";

/**
 * The VLM architecture of a config, or null for a text-only model.
 *
 * @example
 *   vlmArch({ model_type: "gemma3", vision_config: {} }); // "gemma3"
 *   vlmArch({ model_type: "gemma3_text" });               // null
 */
export function vlmArch(hf: HfConfig): VlmArch | null {
  if (vlmFamily(hf)) return hf.model_type as VlmArch;
  if (hf.model_type === "gemma3") return hf.vision_config && typeof hf.vision_config === "object" ? "gemma3" : null;
  if (hf.model_type === "llava" || hf.model_type === "llava_next") return hf.model_type;
  return null;
}

/** Builds the VLM of `arch` from a store of its checkpoint (consuming every tensor). */
export function loadVisionLanguageModel(store: WeightStore, hf: HfConfig, arch: VlmArch): VisionLanguageModel {
  switch (arch) {
    case "gemma3":
      return Gemma3VisionModel.load(store, gemma3VisionConfig(hf));
    case "llava":
      return LlavaModel.load(store, llavaConfig(hf));
    case "llava_next":
      return LlavaNextModel.loadNext(store, llavaNextConfig(hf));
    default:
      return VlmModel.load(store, hf);
  }
}
