/** Sampling parameters of one request, with OpenAI's and vLLM's meanings. */

export interface SamplingParams {
  /** 0 means greedy. */
  temperature: number;
  /** Nucleus sampling: keep the smallest set of tokens whose probability sums to topP (1 = off). */
  topP: number;
  /** Keep the k most likely tokens (0 or -1 = off). */
  topK: number;
  /** Drop tokens whose probability is below minP times the top token's (0 = off). */
  minP: number;
  /** > 1 discourages tokens already present in the prompt or output (1 = off). */
  repetitionPenalty: number;
  /** Subtracted once from the logit of every token already generated. */
  presencePenalty: number;
  /** Subtracted per occurrence from the logit of every token already generated. */
  frequencyPenalty: number;
  /** Added to the logits of the given token ids. */
  logitBias: ReadonlyMap<number, number>;
  /** Makes sampling reproducible for this request. */
  seed: number | null;
  /** Return the chosen token's logprob and this many alternatives (null = no logprobs). */
  logprobs: number | null;
}

export const DEFAULT_SAMPLING: SamplingParams = {
  temperature: 1,
  topP: 1,
  topK: 0,
  minP: 0,
  repetitionPenalty: 1,
  presencePenalty: 0,
  frequencyPenalty: 0,
  logitBias: new Map(),
  seed: null,
  logprobs: null,
};

export const GREEDY: SamplingParams = { ...DEFAULT_SAMPLING, temperature: 0 };

export function samplingParams(p: Partial<SamplingParams>): SamplingParams {
  return { ...DEFAULT_SAMPLING, ...p };
}

export function isGreedy(p: SamplingParams): boolean {
  return p.temperature === 0 || p.topK === 1;
}

export function needsPenalties(p: SamplingParams): boolean {
  return p.repetitionPenalty !== 1 || p.presencePenalty !== 0 || p.frequencyPenalty !== 0;
}
