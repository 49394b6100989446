/**
 * A request's sampling and output options, as vLLM's `SamplingParams`: one type from the route to the sampler.
 * The routes build it from the client's fields, the frontend fills unset fields from the model's
 * generation_config (`withGenerationDefaults` in frontend/sampling.ts), and the core and the sampler read it.
 * A field still unset there takes its neutral value ({@link NEUTRAL_SAMPLING}).
 */
export interface SamplingParams {
  /** Completion token limit; unset means "up to the context length". */
  maxTokens?: number;
  /** 0 means greedy. */
  temperature?: number;
  /** Nucleus sampling: keep the smallest set of tokens whose probability sums to topP (1 = off). */
  topP?: number;
  /** Keep the k most likely tokens (0 = off). */
  topK?: number;
  /** Drop tokens whose probability is below minP times the top token's (0 = off). */
  minP?: number;
  /** Makes sampling reproducible for this request. */
  seed?: number;
  /** Subtracted once from the logit of every token already generated. */
  presencePenalty: number;
  /** Subtracted per occurrence from the logit of every token already generated. */
  frequencyPenalty: number;
  /** > 1 discourages tokens already present in the prompt or output (1 = off). */
  repetitionPenalty?: number;
  /** Token id -> bias added to its logit, in [-100, 100]. */
  logitBias: Record<number, number>;
  /** Stop strings; the frontend trims them (and what follows) from the text. */
  stop: string[];
  /** Number of choices generated together for one prompt; events carry the choice `index`. */
  n: number;
  /** Return each chosen token's logprob. */
  logprobs: boolean;
  /** Alternatives per position, 0-20; only meaningful with `logprobs`. */
  topLogprobs: number;
}

/** The fields whose unset value means "the model's default, else neutral", with their neutral values. */
export const NEUTRAL_SAMPLING = { temperature: 1, topP: 1, topK: 0, minP: 0, repetitionPenalty: 1 } as const;

/** One choice, no stop strings, no logprobs, every optional field unset. */
export const DEFAULT_SAMPLING: SamplingParams = {
  presencePenalty: 0,
  frequencyPenalty: 0,
  logitBias: {},
  stop: [],
  n: 1,
  logprobs: false,
  topLogprobs: 0,
};

export const GREEDY: SamplingParams = { ...DEFAULT_SAMPLING, temperature: 0 };

/** @example samplingParams({ temperature: 0.7, seed: 3 }) */
export function samplingParams(p: Partial<SamplingParams>): SamplingParams {
  return { ...DEFAULT_SAMPLING, ...p };
}

export function isGreedy(p: SamplingParams): boolean {
  return p.temperature === 0 || p.topK === 1;
}

export function needsPenalties(p: SamplingParams): boolean {
  return (p.repetitionPenalty ?? 1) !== 1 || p.presencePenalty !== 0 || p.frequencyPenalty !== 0;
}

/** How many alternatives to return per position: null without logprobs, else `topLogprobs`. */
export function logprobsCount(p: SamplingParams): number | null {
  return p.logprobs ? p.topLogprobs : null;
}

/** Whether any logit bias is set. */
export function hasLogitBias(p: SamplingParams): boolean {
  for (const _ in p.logitBias) return true;
  return false;
}
