/** The model's generation_config sampling defaults, filled into a request's unset {@link SamplingParams} fields. */
import type { SamplingParams } from "../sampling/params.ts";

/** The generation_config.json keys that set sampling defaults. */
export interface GenerationDefaults {
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  repetitionPenalty?: number;
}

const KEYS = [["temperature", "temperature"], ["topP", "top_p"], ["topK", "top_k"], ["minP", "min_p"],
  ["repetitionPenalty", "repetition_penalty"]] as const;

function finite(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/**
 * Reads sampling defaults from a parsed generation_config.json. Only keys that are present count.
 *
 * @example
 *   generationDefaults({ temperature: 0.6, top_p: 0.95, top_k: 20 }) // { temperature: 0.6, topP: 0.95, topK: 20 }
 */
export function generationDefaults(config: Record<string, unknown> | undefined): GenerationDefaults {
  if (!config) return {};
  const out: GenerationDefaults = {};
  for (const [key, hfKey] of KEYS) {
    const value = finite(config[hfKey]);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * A temperature below this samples greedily (vLLM's `_SAMPLING_EPS`): dividing logits by a temperature near zero
 * overflows float32 (1e-38 turns every logit into ±inf, and the draw into noise).
 */
export const GREEDY_TEMPERATURE_EPS = 1e-5;

/**
 * The request's params with its unset fields taken from the model's defaults (vLLM's default sampling params
 * from generation_config); fields the model leaves unset stay unset and mean the neutral value. A temperature
 * below {@link GREEDY_TEMPERATURE_EPS} becomes 0 (greedy), as in vLLM.
 *
 * @example
 *   withGenerationDefaults({ ...DEFAULT_SAMPLING, topP: 0.5 }, { temperature: 0.7, topP: 0.9 }) // temperature 0.7, topP 0.5
 */
export function withGenerationDefaults(params: SamplingParams, defaults: GenerationDefaults): SamplingParams {
  const out = { ...params };
  for (const [key] of KEYS) if (out[key] === undefined && defaults[key] !== undefined) out[key] = defaults[key];
  if (out.temperature !== undefined && out.temperature < GREEDY_TEMPERATURE_EPS) out.temperature = 0;
  return out;
}
