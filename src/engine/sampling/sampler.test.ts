import { describe, expect, test } from "bun:test";
import * as mx from "../../mlx/index.ts";
import { samplingParams, type SamplingParams } from "./params.ts";
import { sample, type SamplerRow } from "./sampler.ts";

function row(params: Partial<SamplingParams>, extra: Partial<SamplerRow> = {}): SamplerRow {
  return { params: samplingParams(params), outputCounts: new Map(), promptTokens: new Set(), step: 0, ...extra };
}

/** Samples one row of `logits` and returns the token. */
function pick(logits: number[], r: SamplerRow): number {
  using x = mx.array([logits], { dtype: "float32" });
  const out = sample(x, [r]);
  const t = out.tokens.toList()[0]!;
  out.tokens.dispose();
  return t;
}

/** The set of tokens drawn over many seeds. */
function drawn(logits: number[], params: Partial<SamplingParams>, draws = 200): Set<number> {
  const seen = new Set<number>();
  for (let s = 0; s < draws; s++) seen.add(pick(logits, row({ temperature: 1, seed: s, ...params })));
  return seen;
}

const ln = Math.log;

describe("sampler", () => {
  test("greedy picks the argmax; logit bias can move it", () => {
    expect(pick([0.1, 2, 0.5, 1.9], row({ temperature: 0 }))).toBe(1);
    expect(pick([0.1, 2, 0.5, 1.9], row({ temperature: 0, logitBias: { 1: -100 } }))).toBe(3);
    expect(pick([0.1, 2, 0.5, 1.9], row({ temperature: 0, logitBias: { 0: 100 } }))).toBe(0);
  });

  test("repetition penalty divides positive and multiplies negative logits of seen tokens", () => {
    // Token 0 (2.0) was in the prompt: 2.0 / 2 = 1.0 < 1.9, so token 1 wins.
    expect(pick([2, 1.9, -5], row({ temperature: 0, repetitionPenalty: 2 }, { promptTokens: new Set([0]) }))).toBe(1);
    // A negative logit seen before gets more negative (-0.5 * 2 = -1 < -0.9).
    expect(pick([-0.5, -0.9, -5], row({ temperature: 0, repetitionPenalty: 2 }, { promptTokens: new Set([0]) }))).toBe(1);
  });

  test("presence and frequency penalties subtract per generated token", () => {
    const counts = new Map([[0, 3]]);
    // frequency 0.1 x 3 = 0.3: 2.0 -> 1.7 < 1.9.
    expect(pick([2, 1.9], row({ temperature: 0, frequencyPenalty: 0.1 }, { outputCounts: counts }))).toBe(1);
    // presence 0.05 once: 2.0 -> 1.95 > 1.9.
    expect(pick([2, 1.9], row({ temperature: 0, presencePenalty: 0.05 }, { outputCounts: counts }))).toBe(0);
    expect(pick([2, 1.9], row({ temperature: 0, presencePenalty: 0.2 }, { outputCounts: counts }))).toBe(1);
  });

  test("top-k, top-p and min-p keep exactly the expected tokens", () => {
    const logits = [ln(0.5), ln(0.3), ln(0.15), ln(0.05)];
    expect([...drawn(logits, { topK: 2 })].sort()).toEqual([0, 1]);
    // Ascending cumulative probabilities 0.05, 0.2, 0.5, 1.0; top_p 0.6 keeps those above 0.4: tokens 1 and 0.
    expect([...drawn(logits, { topP: 0.6 })].sort()).toEqual([0, 1]);
    // min_p 0.5: keep probabilities >= 0.25.
    expect([...drawn(logits, { minP: 0.5 })].sort()).toEqual([0, 1]);
    // Without filters every token can appear.
    expect(drawn(logits, {}, 400).size).toBe(4);
  });

  test("a top_p too small for float32 (1 - top_p rounds to 1) still keeps the most likely token", () => {
    const logits = Array.from({ length: 64 }, (_, i) => Math.cos(i) * 3);
    const best = logits.indexOf(Math.max(...logits));
    expect([...drawn(logits, { topP: 1e-9 }, 40)]).toEqual([best]);
    expect([...drawn(logits, { topP: 1e-9, topK: 5, minP: 0.01 }, 40)]).toEqual([best]);
  });

  test("a seed makes a draw reproducible, and the step changes it", () => {
    const logits = Array.from({ length: 50 }, (_, i) => Math.sin(i));
    const a = Array.from({ length: 5 }, (_, step) => pick(logits, row({ temperature: 1, seed: 42 }, { step })));
    const b = Array.from({ length: 5 }, (_, step) => pick(logits, row({ temperature: 1, seed: 42 }, { step })));
    expect(a).toEqual(b);
    expect(new Set(a).size).toBeGreaterThan(1);
  });

  test("a batch mixes greedy and sampled rows, and reports logprobs with sorted alternatives", () => {
    using x = mx.array([[0, 3, 1], [5, 0, 0]], { dtype: "float32" });
    const r = sample(x, [row({ temperature: 0, logprobs: true, topLogprobs: 2 }), row({ temperature: 1, seed: 1, topK: 1 })]);
    expect(r.tokens.toList()).toEqual([1, 0]);
    const lse = Math.log(Math.exp(0) + Math.exp(3) + Math.exp(1));
    const lp = r.logprobs!.toList();
    expect(lp[0]).toBeCloseTo(3 - lse, 5);
    expect(r.topIds!.toList().slice(0, 2)).toEqual([1, 2]);
    const top = r.topLogprobs!.toList();
    expect(top[0]).toBeCloseTo(3 - lse, 5);
    expect(top[1]).toBeCloseTo(1 - lse, 5);
    for (const a of [r.tokens, r.logprobs, r.topIds, r.topLogprobs]) a?.dispose();
  });
});
