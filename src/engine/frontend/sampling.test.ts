import { describe, expect, test } from "bun:test";
import { DEFAULT_SAMPLING as BASE, logprobsCount } from "../sampling/params.ts";
import { generationDefaults, withGenerationDefaults } from "./sampling.ts";

describe("generation_config defaults", () => {
  test("reads the sampling keys that are present and numeric", () => {
    expect(generationDefaults({ temperature: 0.6, top_p: 0.95, top_k: 20, min_p: 0, repetition_penalty: 1.1, do_sample: true, eos_token_id: [1, 2] }))
      .toEqual({ temperature: 0.6, topP: 0.95, topK: 20, minP: 0, repetitionPenalty: 1.1 });
    expect(generationDefaults({ temperature: "hot", top_p: null })).toEqual({});
    expect(generationDefaults(undefined)).toEqual({});
  });

  test("unset request fields take the model's defaults, set ones win, the rest stay unset (neutral)", () => {
    const defaults = generationDefaults({ temperature: 0.6, top_p: 0.95, top_k: 20 });
    const filled = withGenerationDefaults({ ...BASE, topP: 0.5 }, defaults);
    expect(filled).toEqual({ ...BASE, temperature: 0.6, topP: 0.5, topK: 20 });
    expect(withGenerationDefaults({ ...BASE, temperature: 0 }, defaults).temperature).toBe(0);
    expect(withGenerationDefaults(BASE, {})).toEqual(BASE);
    expect(BASE).not.toHaveProperty("temperature"); // the request's own params are not changed
  });

  test("a temperature below 1e-5 (the request's or the model's) becomes 0, greedy, as in vLLM", () => {
    expect(withGenerationDefaults({ ...BASE, temperature: 1e-38 }, {}).temperature).toBe(0);
    expect(withGenerationDefaults({ ...BASE, temperature: 9.9e-6 }, {}).temperature).toBe(0);
    expect(withGenerationDefaults(BASE, { temperature: 1e-9 }).temperature).toBe(0);
    expect(withGenerationDefaults({ ...BASE, temperature: 1e-5 }, {}).temperature).toBe(1e-5);
    expect(withGenerationDefaults({ ...BASE, temperature: 0.7 }, {}).temperature).toBe(0.7);
    expect(withGenerationDefaults(BASE, {})).not.toHaveProperty("temperature");
  });

  test("penalties, bias, seed and logprobs pass through as the route set them", () => {
    const request = { ...BASE, logitBias: { 5: -100, 17: 2.5 }, presencePenalty: 0.5, frequencyPenalty: 0.25, seed: 42, logprobs: true, topLogprobs: 3 };
    const s = withGenerationDefaults(request, { temperature: 0.7 });
    expect(s).toEqual({ ...request, temperature: 0.7 });
    expect(logprobsCount(s)).toBe(3);
    expect(logprobsCount({ ...BASE, logprobs: true, topLogprobs: 0 })).toBe(0);
    expect(logprobsCount(BASE)).toBeNull();
  });
});
