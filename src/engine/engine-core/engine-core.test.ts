import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as mx from "../../mlx/index.ts";
import type { DecoderModel } from "../../models/decoder.ts";
import { EngineCore, type EngineCoreConfig, type EngineCoreRequest, KvCacheTooSmallError, MaxModelLenError,
  RequestTooLargeError, type TokenOutput } from "./engine-core.ts";
import { ParentRequest } from "../frontend/parent-request.ts";
import { generate } from "../runner/generate.ts";
import { hostArraysMadeBy, tinyModel, type TinyFamily } from "../runner/testing.ts";
import { GREEDY, samplingParams, type SamplingParams } from "../sampling/params.ts";
import { expectSameTokens, NEAR_TIE, solo } from "./testing.ts";

const models = new Map<TinyFamily, DecoderModel>();
beforeAll(async () => {
  for (const f of ["llama", "qwen3", "gemma3_text", "gemma2"] as const) models.set(f, await tinyModel(f, { seed: 7 }));
});
afterAll(() => models.clear());

function prompt(len: number, salt: number): number[] {
  return Array.from({ length: len }, (_, i) => (i * 31 + salt * 17 + ((i * i) % 13)) % 256);
}

function request(requestId: string, ids: number[], maxTokens: number, extra: Partial<EngineCoreRequest> = {}): EngineCoreRequest {
  return { requestId, promptTokenIds: ids, sampling: GREEDY, maxTokens, stopTokenIds: new Set(), ...extra };
}

/**
 * Steps until done; returns each request's outputs by choice index. `parents` are requests for n > 1 choices,
 * fanned out as the frontend does (`ParentRequest`); their children are added here.
 */
function drain(core: EngineCore, parents: ParentRequest[] = [], maxSteps = 5000): Map<string, TokenOutput[][]> {
  const byRequest = new Map<string, TokenOutput[][]>();
  for (const parent of parents) for (const child of parent.start()) core.addRequest(child);
  for (let i = 0; core.hasUnfinished(); i++) {
    if (i >= maxSteps) throw new Error("engine did not finish");
    for (const t of core.step()) {
      const parent = parents.find((p) => p.indexOf(t.requestId) >= 0);
      const { index, release } = parent ? parent.route(t) : { index: 0, release: [] };
      for (const child of release) core.addRequest(child);
      const id = parent?.request.requestId ?? t.requestId;
      const choices = byRequest.get(id) ?? [];
      (choices[index] ??= []).push(t);
      byRequest.set(id, choices);
    }
  }
  return byRequest;
}

function engine(model: DecoderModel, config: Partial<EngineCoreConfig> = {}): EngineCore {
  return new EngineCore(model, { maxModelLen: 512, numGpuBlocks: 256, maxNumBatchedTokens: 64, ...config });
}

describe("EngineCore", () => {
  for (const family of ["llama", "qwen3", "gemma3_text", "gemma2"] as const) {
    test(`${family}: 16 concurrent greedy requests (chunked prefill) equal solo generate; divergence only at near-ties (top-2 gap < ${NEAR_TIE})`, () => {
      const model = models.get(family)!;
      const lengths = [1, 5, 17, 33, 64, 70, 100, 150, 3, 9, 16, 31, 65, 128, 200, 47];
      const core = engine(model);
      lengths.forEach((len, r) => core.addRequest(request(`r${r}`, prompt(len, r), 12 + (r % 5), { sampling: { ...GREEDY, logprobs: true, topLogprobs: 2 } })));
      const got = drain(core);
      let divergences = 0;
      lengths.forEach((len, r) => {
        const want = solo(model, prompt(len, r), 12 + (r % 5));
        const out = got.get(`r${r}`)![0]!;
        divergences += expectSameTokens(out.map((t) => t.token), want, `${family} r${r}`);
        if (divergences === 0) {
          out.forEach((t, i) => expect(Math.abs(t.logprob! - want.logprobs[i]!)).toBeLessThan(1e-3));
        }
        expect(out.at(-1)!.finishReason).toBe("length");
        expect(out.slice(0, -1).every((t) => t.finishReason === null)).toBe(true);
        expect(out[0]!.numPromptTokens).toBe(len);
      });
      expect(divergences).toBe(0);
      expect(core.stats()).toMatchObject({ running: 0, waiting: 0, usedBlocks: 0 });
      core.dispose();
    });
  }

  test(`padded steps (padSteps: tokens repeated up to 1, 2, 4, 8k) give the solo tokens; divergence only at near-ties (< ${NEAR_TIE})`, () => {
    const model = models.get("qwen3")!;
    const lengths = [1, 5, 17, 33, 70, 3, 9];
    const core = engine(model, { padSteps: true });
    lengths.forEach((len, r) => core.addRequest(request(`r${r}`, prompt(len, r), 10 + r)));
    const got = drain(core);
    let divergences = 0;
    lengths.forEach((len, r) => {
      divergences += expectSameTokens(got.get(`r${r}`)![0]!.map((t) => t.token), solo(model, prompt(len, r), 10 + r), `padded r${r}`);
    });
    expect(divergences).toBe(0);
    expect(core.stats()).toMatchObject({ running: 0, waiting: 0, usedBlocks: 0 });
    core.dispose();
  });

  test("preemption with a tiny pool still gives the solo tokens (near-tie rule as above)", () => {
    const model = models.get("llama")!;
    const core = engine(model, { blockSize: 4, numGpuBlocks: 20, maxModelLen: 64, maxNumBatchedTokens: 32, maxNumSeqs: 8 });
    for (let r = 0; r < 6; r++) core.addRequest(request(`p${r}`, prompt(10 + 3 * r, r), 30));
    const got = drain(core);
    expect(core.stats().numPreemptions).toBeGreaterThan(0);
    let divergences = 0;
    for (let r = 0; r < 6; r++) {
      divergences += expectSameTokens(got.get(`p${r}`)![0]!.map((t) => t.token), solo(model, prompt(10 + 3 * r, r), 30), `p${r}`);
    }
    expect(divergences).toBe(0);
    expect(core.stats().usedBlocks).toBe(0);
  });

  test("abort at any step frees every block", () => {
    const model = models.get("gemma3_text")!;
    const core = engine(model, { maxNumBatchedTokens: 16, maxNumSeqs: 8 });
    for (let k = 0; k < 10; k++) {
      core.addRequest(request("victim", prompt(50, k), 8));
      const other = new ParentRequest(request("other", prompt(20, k + 1), 4), 2);
      for (const child of other.start()) core.addRequest(child);
      for (let s = 0; s < k; s++) {
        for (const t of core.step()) for (const child of other.route(t).release) core.addRequest(child);
      }
      core.abortRequest("victim");
      for (const id of other.childIds) core.abortRequest(id);
      expect(core.hasUnfinished()).toBe(false);
      expect(core.stats()).toMatchObject({ running: 0, waiting: 0, usedBlocks: 0 });
    }
    core.abortRequest("never-added");
  });

  test("typed errors: a request past maxModelLen is RequestTooLargeError; a pool too small for maxModelLen", () => {
    const model = models.get("llama")!;
    const core = engine(model, { maxModelLen: 64, numGpuBlocks: 8 });
    expect(() => core.addRequest(request("big", prompt(60, 1), 8))).toThrow(RequestTooLargeError);
    expect(() => core.addRequest(request("big", prompt(60, 1), 8))).toThrow(MaxModelLenError);
    core.addRequest(request("ok", prompt(10, 1), 4));
    expect(() => core.addRequest(request("ok", prompt(10, 1), 4))).toThrow(/already exists/);
    expect(() => new ParentRequest(request("n0", prompt(10, 1), 4), 0)).toThrow(/n must be/);
    expect(() => engine(model, { maxModelLen: 4096, numGpuBlocks: 8 })).toThrow(KvCacheTooSmallError);
  });

  test("n = 3 greedy: a parent request's choices share the prompt's full block through the prefix cache and each equals solo", () => {
    const model = models.get("qwen3")!;
    const ids = prompt(21, 5); // one full block of 16, then a partial one each choice computes itself
    const core = engine(model);
    const out = drain(core, [new ParentRequest(request("n3", ids, 10), 3)]).get("n3")!;
    const want = solo(model, ids, 10);
    expect(out.length).toBe(3);
    for (const choice of out) expect(choice.map((t) => t.token)).toEqual(want.tokens);
    expect(out.map((c) => c[0]!.numCachedTokens)).toEqual([0, 16, 16]);
    expect(core.stats().prefixCacheHits).toBe(32);
    expect(core.stats().usedBlocks).toBe(0);
  });

  test("n = 4 seeded sampling: distinct seeds per choice, reproducible, choice 0 matches solo with the seed", () => {
    const model = models.get("llama")!;
    const ids = prompt(30, 2);
    const sampling = samplingParams({ temperature: 1.5, seed: 1234 });
    const run = () => {
      const core = engine(model);
      return drain(core, [new ParentRequest(request("s", ids, 12, { sampling }), 4)]).get("s")!.map((c) => c.map((t) => t.token));
    };
    const a = run();
    expect(run()).toEqual(a);
    expect(new Set(a.map((c) => c.join(","))).size).toBeGreaterThan(1);
    const want = [...generate(model, ids, { maxTokens: 12, sampling, stopTokenIds: new Set() })].map((t) => t.token);
    expect(a[0]).toEqual(want);
  });

  test("one greedy request: each launched step makes one array from host memory (MLX's CUDA backend faults each in)", () => {
    const model = models.get("qwen3")!;
    const ids = prompt(21, 4);
    const core = engine(model);
    core.addRequest(request("h", ids, 24));
    const made: number[] = [];
    const got: number[] = [];
    while (core.hasUnfinished()) {
      const [out, n] = hostArraysMadeBy(() => core.step());
      made.push(n);
      got.push(...out.map((t) => t.token));
    }
    // The first call launches the prefill alone (a step from idle of new prompts: onlyEndingPrompts), the second
    // the first decode and the one queued ahead of it; the last one only reads its step.
    expect(made).toEqual([1, 2, ...new Array<number>(made.length - 3).fill(1), 0]);
    expect(made.length).toBe(24);
    expect(got).toEqual(solo(model, ids, 24).tokens);
  });

  test("requests that arrive while a lone request's prefill runs join the very next step, not the one after it", () => {
    const model = models.get("qwen3")!;
    const core = engine(model, { maxNumBatchedTokens: 128 });
    core.addRequest(request("first", prompt(20, 1), 8));
    const calls: string[][] = [core.step().map((t) => t.requestId)];
    for (const id of ["a", "b", "c"]) core.addRequest(request(id, prompt(24, id.charCodeAt(0)), 8));
    calls.push(core.step().map((t) => t.requestId));
    expect(calls).toEqual([["first"], ["first", "a", "b", "c"]]);
    const got = drain(core);
    for (const id of ["a", "b", "c"]) expect(got.get(id)![0]!.length + 1).toBe(8); // their first token came from the call above
    expect(core.numLaunchedAhead).toBeGreaterThan(0); // pipelined again from the second call on
  });

  test("stop tokens finish a choice with reason stop", () => {
    const model = models.get("llama")!;
    const ids = prompt(12, 9);
    const want = solo(model, ids, 8).tokens;
    const core = engine(model);
    core.addRequest(request("st", ids, 8, { stopTokenIds: new Set([want[3]!]) }));
    const out = drain(core).get("st")![0]!;
    const cut = want.indexOf(want[3]!);
    expect(out.map((t) => t.token)).toEqual(want.slice(0, cut + 1));
    expect(out.at(-1)!.finishReason).toBe("stop");
  });

  test("async scheduling: staggered arrivals, stops, aborts, penalties and preemption give the solo tokens either way", () => {
    const model = models.get("qwen3")!;
    const penalized = samplingParams({ temperature: 0, repetitionPenalty: 1.3 });
    const soloOf = (r: number, max: number, sampling: SamplingParams = GREEDY) =>
      [...generate(model, prompt(8 + 5 * r, r), { maxTokens: max, sampling, stopTokenIds: new Set() })].map((t) => t.token);
    for (const asyncScheduling of [true, false]) {
      const core = engine(model, { asyncScheduling, blockSize: 4, numGpuBlocks: 40, maxModelLen: 80, maxNumSeqs: 6 });
      const got = new Map<string, TokenOutput[]>();
      const want = new Map<string, number[]>();
      const add = (r: number, max: number, extra: Partial<EngineCoreRequest> = {}) => {
        core.addRequest(request(`a${r}`, prompt(8 + 5 * r, r), max, extra));
      };
      const stepOnce = () => { for (const t of core.step()) got.set(t.requestId, [...(got.get(t.requestId) ?? []), t]); };
      for (let r = 0; r < 3; r++) add(r, 20);
      for (let i = 0; i < 3; i++) stepOnce();
      const stopAt = soloOf(3, 20);
      add(3, 20, { stopTokenIds: new Set([stopAt[6]!]) });
      add(4, 25);
      add(5, 12, { sampling: penalized });
      for (let i = 0; i < 4; i++) stepOnce();
      core.abortRequest("a4");
      add(6, 16);
      while (core.hasUnfinished()) stepOnce();
      for (const r of [0, 1, 2, 6]) want.set(`a${r}`, soloOf(r, r === 6 ? 16 : 20));
      want.set("a3", stopAt.slice(0, stopAt.indexOf(stopAt[6]!) + 1));
      want.set("a5", soloOf(5, 12, penalized));
      for (const [id, tokens] of want) {
        const out = got.get(id)!;
        expect(out.map((t) => t.token)).toEqual(tokens);
        expect(out.slice(0, -1).every((t) => t.finishReason === null)).toBe(true);
        expect(out.at(-1)!.finishReason).toBe(id === "a3" ? "stop" : "length");
      }
      expect(got.get("a4")!.every((t) => t.finishReason === null)).toBe(true);
      expect(core.stats()).toMatchObject({ running: 0, waiting: 0, usedBlocks: 0 });
      expect(core.stats().numPreemptions).toBeGreaterThan(0);
      if (asyncScheduling) expect(core.numLaunchedAhead).toBeGreaterThan(10);
      else expect(core.numLaunchedAhead).toBe(0);
      core.dispose();
    }
  });

  test("decode steps write the pool in place: peak memory and time do not grow with a 64x larger pool", () => {
    const model = models.get("llama")!;
    const cores = [64, 4096].map((numGpuBlocks) => engine(model, { numGpuBlocks }));
    for (const core of cores) {
      core.addRequest(request("d", prompt(20, 1), 200));
      core.step();
      core.step();
    }
    const times: number[][] = [[], []];
    const peaks: number[][] = [[], []];
    for (let i = 0; i < 15; i++) {
      cores.forEach((core, c) => {
        mx.clearCache();
        const before = mx.getActiveMemory();
        mx.resetPeakMemory();
        const t0 = performance.now();
        expect(core.step().length).toBe(1);
        times[c]!.push(performance.now() - t0);
        peaks[c]!.push(mx.getPeakMemory() - before);
      });
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const layerPoolBytes = cores[1]!.pool.nbytes / (2 * model.layers.length);
    expect(Math.max(...peaks[1]!) - median(peaks[0]!)).toBeLessThan(layerPoolBytes / 16);
    expect(median(times[1]!)).toBeLessThan(3 * median(times[0]!));
    for (const core of cores) core.dispose();
  });
});
