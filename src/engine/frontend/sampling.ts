/** The server's sampling options -> the core's SamplingParams, with the model's generation_config defaults. */
import type { SamplingParams as RequestSampling } from "../protocol.ts";
import { DEFAULT_SAMPLING, type SamplingParams } from "../sampling/params.ts";

/** The generation_config.json keys that set sampling defaults. */
export interface GenerationDefaults {
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  repetitionPenalty?: number;
}

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
  const pairs = [["temperature", "temperature"], ["topP", "top_p"], ["topK", "top_k"], ["minP", "min_p"],
    ["repetitionPenalty", "repetition_penalty"]] as const;
  for (const [key, hfKey] of pairs) {
    const value = finite(config[hfKey]);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * Fills unset request options from the model's defaults, then the neutral values.
 *
 * @example
 *   toCoreSampling({ temperature: undefined, presencePenalty: 0, ... }, { temperature: 0.7 }).temperature // 0.7
 */
export function toCoreSampling(request: RequestSampling, defaults: GenerationDefaults): SamplingParams {
  const logitBias = new Map<number, number>();
  for (const [id, bias] of Object.entries(request.logitBias)) logitBias.set(Number(id), bias);
  return {
    temperature: request.temperature ?? defaults.temperature ?? DEFAULT_SAMPLING.temperature,
    topP: request.topP ?? defaults.topP ?? DEFAULT_SAMPLING.topP,
    topK: request.topK ?? defaults.topK ?? DEFAULT_SAMPLING.topK,
    minP: request.minP ?? defaults.minP ?? DEFAULT_SAMPLING.minP,
    repetitionPenalty: request.repetitionPenalty ?? defaults.repetitionPenalty ?? DEFAULT_SAMPLING.repetitionPenalty,
    presencePenalty: request.presencePenalty,
    frequencyPenalty: request.frequencyPenalty,
    logitBias,
    seed: request.seed ?? null,
    logprobs: request.logprobs ? request.topLogprobs : null,
  };
}
