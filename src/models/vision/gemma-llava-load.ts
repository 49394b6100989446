/**
 * Loading Gemma 3 (with images), LLaVA 1.5 and LLaVA-NeXT folders in mlx-vlm's layout, dense or quantized.
 * A folder is one of these when its config says so: `model_type` gemma3 with a `vision_config`, or llava /
 * llava_next.
 */
import { loadWeights, readConfig } from "../load.ts";
import type { HfConfig } from "../config.ts";
import { gemma3VisionConfig, Gemma3VisionModel } from "./gemma3-vision.ts";
import { llavaConfig, LlavaModel } from "./llava.ts";
import { llavaNextConfig, LlavaNextModel } from "./llava-next.ts";
import type { ImageLanguageModel } from "./image-vlm.ts";

export type GemmaLlavaFamily = "gemma3" | "llava" | "llava_next";

/** The family of a Gemma 3 / LLaVA VLM config, or null for anything else. */
export function gemmaLlavaFamily(hf: HfConfig): GemmaLlavaFamily | null {
  if (hf.model_type === "gemma3" && hf.vision_config) return "gemma3";
  if (hf.model_type === "llava" || hf.model_type === "llava_next") return hf.model_type;
  return null;
}

/**
 * @example
 *   const vlm = await loadGemmaLlavaDir("/models/gemma-3-4b-it-4bit");
 */
export async function loadGemmaLlavaDir(dir: string): Promise<{ model: ImageLanguageModel; hfConfig: HfConfig; family: GemmaLlavaFamily }> {
  const hf = await readConfig(dir);
  const family = gemmaLlavaFamily(hf);
  if (!family) throw new TypeError(`${dir} is not a Gemma 3 or LLaVA vision model (model_type '${String(hf.model_type)}')`);
  const store = await loadWeights(dir, hf);
  const model = family === "gemma3" ? Gemma3VisionModel.load(store, gemma3VisionConfig(hf))
    : family === "llava" ? LlavaModel.load(store, llavaConfig(hf)) : LlavaNextModel.loadNext(store, llavaNextConfig(hf));
  return { model, hfConfig: hf, family };
}
