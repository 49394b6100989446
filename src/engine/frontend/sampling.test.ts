import { describe, expect, test } from "bun:test";
import type { SamplingParams as RequestSampling } from "../protocol.ts";
import { generationDefaults, toCoreSampling } from "./sampling.ts";

const BASE: RequestSampling = {
  presencePenalty: 0, frequencyPenalty: 0, logitBias: {}, stop: [], n: 1, logprobs: false, topLogprobs: 0,
};

describe("generation_config defaults", () => {
  test("reads the sampling keys that are present and numeric", () => {
    expect(generationDefaults({ temperature: 0.6, top_p: 0.95, top_k: 20, min_p: 0, repetition_penalty: 1.1, do_sample: true, eos_token_id: [1, 2] }))
      .toEqual({ temperature: 0.6, topP: 0.95, topK: 20, minP: 0, repetitionPenalty: 1.1 });
    expect(generationDefaults({ temperature: "hot", top_p: null })).toEqual({});
    expect(generationDefaults(undefined)).toEqual({});
  });

  test("unset request fields take the model's defaults, set ones win, the rest are neutral", () => {
    const defaults = generationDefaults({ temperature: 0.6, top_p: 0.95, top_k: 20 });
    const filled = toCoreSampling({ ...BASE, topP: 0.5 }, defaults);
    expect(filled).toMatchObject({ temperature: 0.6, topP: 0.5, topK: 20, minP: 0, repetitionPenalty: 1, seed: null, logprobs: null });
    expect(toCoreSampling({ ...BASE, temperature: 0 }, defaults).temperature).toBe(0);
    expect(toCoreSampling(BASE, {})).toMatchObject({ temperature: 1, topP: 1, topK: 0 });
  });

  test("maps logit bias, penalties, seed and logprobs", () => {
    const s = toCoreSampling({ ...BASE, logitBias: { 5: -100, 17: 2.5 }, presencePenalty: 0.5, frequencyPenalty: 0.25, seed: 42, logprobs: true, topLogprobs: 3 }, {});
    expect([...s.logitBias.entries()]).toEqual([[5, -100], [17, 2.5]]);
    expect(s).toMatchObject({ presencePenalty: 0.5, frequencyPenalty: 0.25, seed: 42, logprobs: 3 });
    expect(toCoreSampling({ ...BASE, logprobs: true, topLogprobs: 0 }, {}).logprobs).toBe(0);
  });
});
