/**
 * sample-step's queued sampling (sampleAsync -> readSample -> disposeSample) against the sampler run
 * synchronously on the same rows: greedy, seeded, with logprobs, through a source map that repeats and reorders
 * logits rows.
 */
import { describe, expect, test } from "bun:test";
import * as mx from "../../mlx/index.ts";
import { samplingParams, type SamplingParams } from "../sampling/params.ts";
import { sample, type SamplerRow } from "../sampling/sampler.ts";
import { disposeSample, readSample, type SampledToken, sampleAsync } from "./sample-step.ts";

const V = 64;

function row(params: Partial<SamplingParams>, step = 0): SamplerRow {
  return { params: samplingParams(params), outputCounts: new Map(), promptTokens: new Set(), step };
}

function randomLogits(R: number, seed: number): mx.Array {
  using key = mx.randomKey(seed);
  return mx.normal([R, V], "float32", key, 0, 3);
}

/** The sampler run synchronously on the picked rows, read into the shape readSample returns. */
function syncSample(logits: mx.Array, source: readonly number[], rows: readonly SamplerRow[]): SampledToken[] {
  using idx = mx.array([...source], { dtype: "int32" });
  using picked = mx.take(logits, idx, 0);
  const r = sample(picked, rows);
  const tokens = r.tokens.toList();
  const logprobs = r.logprobs?.toList() ?? null;
  const n = r.topIds?.shape[1] ?? 0;
  const ids = r.topIds?.toList() ?? null;
  const lps = r.topLogprobs?.toList() ?? null;
  for (const a of [r.tokens, r.logprobs, r.topIds, r.topLogprobs]) a?.dispose();
  return tokens.map((token, i) => ({
    token,
    logprob: logprobs ? logprobs[i]! : null,
    top: ids && lps ? ids.slice(i * n, (i + 1) * n).map((t, j) => ({ token: t, logprob: lps[i * n + j]! })) : null,
  }));
}

/** sampleAsync, read, dispose: the engine's sequence. */
function asyncSample(logits: mx.Array, source: readonly number[], rows: readonly SamplerRow[],
  alsoEval: readonly mx.Array[] = []): SampledToken[] {
  const r = sampleAsync(logits, source, rows, alsoEval);
  try {
    return readSample(r);
  } finally {
    disposeSample(r);
  }
}

function argmaxRows(logits: mx.Array): number[] {
  const flat = logits.toList();
  return Array.from({ length: logits.shape[0]! }, (_, b) => {
    const r = flat.slice(b * V, (b + 1) * V);
    return r.indexOf(Math.max(...r));
  });
}

function expectSame(got: SampledToken[], want: SampledToken[]): void {
  expect(got.map((t) => t.token)).toEqual(want.map((t) => t.token));
  got.forEach((g, i) => {
    const w = want[i]!;
    if (w.logprob === null) expect(g.logprob).toBeNull();
    else expect(g.logprob!).toBeCloseTo(w.logprob, 6);
    expect(g.top?.map((t) => t.token) ?? null).toEqual(w.top?.map((t) => t.token) ?? null);
    g.top?.forEach((t, j) => expect(t.logprob).toBeCloseTo(w.top![j]!.logprob, 6));
  });
}

describe("sampleAsync / readSample", () => {
  test("greedy rows, identity source: the argmax of each row, as the sampler gives it", () => {
    using logits = randomLogits(4, 1);
    const rows = [0, 1, 2, 3].map(() => row({ temperature: 0 }));
    const got = asyncSample(logits, [0, 1, 2, 3], rows);
    expectSame(got, syncSample(logits, [0, 1, 2, 3], rows));
    expect(got.map((t) => t.token)).toEqual(argmaxRows(logits));
    expect(got.every((t) => t.logprob === null && t.top === null)).toBe(true);
  });

  test("greedy with logprobs: chosen logprob and the top alternatives in order", () => {
    using logits = randomLogits(3, 2);
    const rows = [row({ temperature: 0, logprobs: true, topLogprobs: 3 }), row({ temperature: 0, logprobs: true, topLogprobs: 0 }), row({ temperature: 0 })];
    const got = asyncSample(logits, [0, 1, 2], rows);
    expectSame(got, syncSample(logits, [0, 1, 2], rows));
    // The widest request sets the width for every row; the top alternative of a greedy row is its token.
    expect(got.map((t) => t.top?.length)).toEqual([3, 3, 3]);
    expect(got[0]!.top![0]!.token).toBe(got[0]!.token);
    expect(got[0]!.top![0]!.logprob).toBeCloseTo(got[0]!.logprob!, 6);
    const lps = got[0]!.top!.map((t) => t.logprob);
    expect([...lps].sort((a, b) => b - a)).toEqual(lps);
  });

  test("a source map that repeats and reorders rows samples the rows it names", () => {
    using logits = randomLogits(3, 3);
    const source = [2, 0, 2];
    const rows = source.map(() => row({ temperature: 0, logprobs: true, topLogprobs: 1 }));
    const got = asyncSample(logits, source, rows);
    expectSame(got, syncSample(logits, source, rows));
    const argmax = argmaxRows(logits);
    expect(got.map((t) => t.token)).toEqual(source.map((s) => argmax[s]!));
  });

  test("seeded rows draw what the synchronous sampler draws, and the same again on a rerun", () => {
    using logits = randomLogits(4, 4);
    const source = [3, 1, 1, 0];
    const rows = [
      row({ temperature: 0.9, seed: 7, logprobs: true, topLogprobs: 2 }, 0),
      row({ temperature: 1.3, seed: 7, topK: 10 }, 1),
      row({ temperature: 0 }),
      row({ temperature: 0.7, seed: 123, topP: 0.9 }, 5),
    ];
    const want = syncSample(logits, source, rows);
    const got = asyncSample(logits, source, rows);
    expectSame(got, want);
    expectSame(asyncSample(logits, source, rows), got);
  });

  test("seeded draws follow the seed: many seeds give more than one token", () => {
    using flat = mx.zeros([1, V], "float32"); // uniform: every token equally likely
    const tokens = new Set<number>();
    for (let seed = 0; seed < 16; seed++) tokens.add(asyncSample(flat, [0], [row({ temperature: 1, seed })])[0]!.token);
    expect(tokens.size).toBeGreaterThan(4);
  });

  test("disposeSample frees every array of the result", () => {
    using logits = randomLogits(2, 6);
    const r = sampleAsync(logits, [1, 0], [row({ temperature: 0, logprobs: true, topLogprobs: 2 }), row({ temperature: 0 })], []);
    readSample(r);
    const arrays = [r.tokens, r.logprobs, r.topIds, r.topLogprobs];
    expect(arrays.every((a) => a !== null && !a.disposed)).toBe(true);
    disposeSample(r);
    expect(arrays.every((a) => a!.disposed)).toBe(true);
    expect(logits.disposed).toBe(false);
  });

  test("a row count that does not match the source throws before anything is queued", () => {
    using logits = randomLogits(2, 7);
    expect(() => sampleAsync(logits, [0, 1], [row({ temperature: 0 })], [])).toThrow(RangeError);
  });
});
