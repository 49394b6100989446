/** Model families by `model_type`: a typed table, not string imports. */
import type { WeightStore } from "../nn/weights.ts";
import { ConfigError, type HfConfig } from "./config.ts";
import type { DecoderSpec } from "./decoder.ts";
import { gemma2Spec } from "./gemma2.ts";
import { gemma3Spec } from "./gemma3.ts";
import { llamaSpec, sanitizeCommon } from "./llama.ts";
import { phi3Spec } from "./phi3.ts";
import { qwen2Spec } from "./qwen2.ts";
import { qwen3Spec } from "./qwen3.ts";
import { qwen25VlTextSpec } from "./vision/qwen2-5-vl.ts";
import { qwen2VlTextSpec } from "./vision/qwen2-vl.ts";
import { qwen3VlTextSpec } from "./vision/qwen3-vl.ts";
import { gemma3VisionConfig } from "./vision/gemma3-vision.ts";
import { llavaConfig } from "./vision/llava.ts";
import { llavaNextConfig } from "./vision/llava-next.ts";

export interface ModelFactory {
  /** The family's spec from its HF config (throws ConfigError). */
  spec(hf: HfConfig): DecoderSpec;
  /** Adjusts checkpoint tensors before loading (drop unused, tie heads). */
  sanitize(store: WeightStore, spec: DecoderSpec): void;
  /** How the family's chat output marks tool calls. */
  toolCallFormat: "hermes" | "llama3_json" | "none";
}

const llama: ModelFactory = { spec: llamaSpec, sanitize: sanitizeCommon, toolCallFormat: "llama3_json" };
const qwen: Omit<ModelFactory, "spec"> = { sanitize: sanitizeCommon, toolCallFormat: "hermes" };

export const MODEL_FACTORIES: Readonly<Record<string, ModelFactory>> = {
  llama,
  mistral: { ...llama, toolCallFormat: "none" },
  qwen2: { ...qwen, spec: qwen2Spec },
  qwen3: { ...qwen, spec: qwen3Spec },
  // Vision-language models: the text decoder's spec; load.ts loads the tower beside it (vision/vlm.ts).
  qwen2_vl: { ...qwen, spec: qwen2VlTextSpec },
  qwen2_5_vl: { ...qwen, spec: qwen25VlTextSpec },
  qwen3_vl: { ...qwen, spec: qwen3VlTextSpec },
  // Gemma 3 with images (a gemma3 config without vision_config fails here: its text model is gemma3_text) and LLaVA.
  gemma3: { spec: (hf) => gemma3VisionConfig(hf).text, sanitize: sanitizeCommon, toolCallFormat: "none" },
  llava: { spec: (hf) => llavaConfig(hf).text, sanitize: sanitizeCommon, toolCallFormat: "none" },
  llava_next: { spec: (hf) => llavaNextConfig(hf).text, sanitize: sanitizeCommon, toolCallFormat: "none" },
  gemma2: { spec: gemma2Spec, sanitize: sanitizeCommon, toolCallFormat: "none" },
  gemma3_text: {
    spec: gemma3Spec,
    sanitize(store, spec) {
      // Gemma 3 ties its head unless the checkpoint carries lm_head.
      spec.config.tieWordEmbeddings = !store.has("lm_head.weight");
      sanitizeCommon(store, spec);
    },
    toolCallFormat: "none",
  },
  phi3: { spec: phi3Spec, sanitize: sanitizeCommon, toolCallFormat: "none" },
};

export function factoryFor(modelType: unknown): ModelFactory {
  // Own keys only: model_type "constructor" or "__proto__" must not find Object.prototype's members.
  const f = typeof modelType === "string" && Object.hasOwn(MODEL_FACTORIES, modelType) ? MODEL_FACTORIES[modelType] : undefined;
  if (!f) {
    throw new ConfigError(
      `unknown model_type '${String(modelType)}' (supported: ${Object.keys(MODEL_FACTORIES).join(", ")})`,
    );
  }
  return f;
}
