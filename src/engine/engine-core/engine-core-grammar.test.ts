/**
 * Constrained rows in EngineCore with a stand-in grammar (any TokenGrammar drives the core): every emitted token
 * is one its mask allowed, async scheduling (the deferred masked sample, queued by the next launch) gives the same
 * tokens and logprobs as synchronous steps, and a steady constrained step queues its masked sample in an async_eval
 * of its own (never with the next forward, whose end its tokens would then wait for).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import type { DecoderModel } from "../../models/decoder.ts";
import { asyncEvalsBy, tinyModel } from "../runner/testing.ts";
import { GREEDY, type SamplingParams } from "../sampling/params.ts";
import type { TokenGrammar } from "../structured/token-grammar.ts";
import { CoreStepError } from "./core-types.ts";
import { EngineCore, type EngineCoreRequest, type TokenOutput } from "./engine-core.ts";

const V = 256;
let model: DecoderModel;
beforeAll(async () => {
  model = await tinyModel("qwen3", { seed: 11, vocabSize: V });
});

/** Allows about a seventh of the vocabulary, a different set after each accepted token; records what it saw. */
class HashGrammar implements TokenGrammar {
  readonly accepted: number[] = [];
  readonly rejected: number[] = [];
  constructor(readonly salt: number) {}

  allows(token: number, step: number): boolean {
    return ((Math.imul(token + 1, 0x9e3779b1) ^ Math.imul(step + this.salt, 0x85ebca6b)) >>> 0) % 7 === 0;
  }

  fillNextTokenBitmask(out: Int32Array, offset: number): void {
    out.fill(0, offset, offset + V / 32);
    for (let t = 0; t < V; t++) if (this.allows(t, this.accepted.length)) out[offset + (t >> 5)]! |= 1 << (t & 31);
  }

  acceptToken(token: number): boolean {
    if (!this.allows(token, this.accepted.length)) {
      this.rejected.push(token);
      return false;
    }
    this.accepted.push(token);
    return true;
  }

  isTerminated = () => false;
  dispose(): void {}
}

const ids = (salt: number, n: number) => Array.from({ length: n }, (_, i) => (i * 37 + salt * 11) % V);
const LOGPROBS: SamplingParams = { ...GREEDY, logprobs: true, topLogprobs: 2 };

function request(id: string, salt: number, maxTokens: number, sampling: SamplingParams = LOGPROBS): EngineCoreRequest {
  return { requestId: id, promptTokenIds: ids(salt, 9 + salt), sampling, maxTokens, stopTokenIds: new Set() };
}

/** Runs two constrained and one free request to their ends; async_eval calls are counted per step(). */
function run(asyncScheduling: boolean, queueLayers?: number) {
  const core = new EngineCore(model, { maxModelLen: 256, numGpuBlocks: 64, maxNumBatchedTokens: 64, asyncScheduling,
    ...(queueLayers === undefined ? {} : { queueLayers }) });
  const grammars = [new HashGrammar(1), new HashGrammar(2)];
  core.addRequest(request("c0", 0, 24), grammars[0]);
  core.addRequest(request("f", 1, 20));
  core.addRequest(request("c1", 2, 17), grammars[1]);
  const out = new Map<string, TokenOutput[]>();
  // Per step(): the number of arrays each async_eval was given, in call order.
  const evalsPerStep: number[][] = [];
  while (core.hasUnfinished()) {
    const [outputs, evals] = asyncEvalsBy(() => core.step());
    for (const t of outputs) out.set(t.requestId, [...(out.get(t.requestId) ?? []), t]);
    evalsPerStep.push(evals);
  }
  const launchedAhead = core.numLaunchedAhead;
  core.dispose();
  return { out, grammars, evalsPerStep, launchedAhead };
}

describe("EngineCore with grammars", () => {
  test("every token is allowed; async scheduling equals synchronous steps, logprobs included", () => {
    const sync = run(false);
    const ahead = run(true);
    expect(sync.launchedAhead).toBe(0);
    expect(ahead.launchedAhead).toBeGreaterThan(10);
    for (const r of [sync, ahead]) {
      expect(r.out.get("c0")!.length).toBe(24);
      expect(r.out.get("c1")!.length).toBe(17);
      expect(r.out.get("f")!.length).toBe(20);
      r.grammars.forEach((g, k) => {
        expect(g.rejected).toEqual([]);
        expect(g.accepted).toEqual(r.out.get(`c${k}`)!.map((t) => t.token));
        g.accepted.forEach((t, step) => expect(g.allows(t, step)).toBe(true));
      });
    }
    for (const id of ["c0", "c1", "f"]) {
      const a = ahead.out.get(id)!;
      const s = sync.out.get(id)!;
      expect(a.map((t) => t.token)).toEqual(s.map((t) => t.token));
      a.forEach((t, i) => {
        expect(t.logprob!).toBeCloseTo(s[i]!.logprob!, 5);
        expect(t.top!.map((x) => x.token)).toEqual(s[i]!.top!.map((x) => x.token));
      });
    }
    // The masks change the tokens: the constrained rows differ from the free run of the same prompt.
    const free = new EngineCore(model, { maxModelLen: 256, numGpuBlocks: 64 });
    free.addRequest(request("c0", 0, 24));
    const unmasked: number[] = [];
    while (free.hasUnfinished()) for (const t of free.step()) unmasked.push(t.token);
    free.dispose();
    expect(unmasked).not.toEqual(ahead.out.get("c0")!.map((t) => t.token));
  });

  test("a steady constrained step queues its masked sample alone, after the next forward", () => {
    const { evalsPerStep } = run(true);
    const layers = model.layers.length;
    for (const evals of evalsPerStep.slice(2, 15)) { // every request decoding, none finished
      // The launch queues the next forward whole (logits and each layer's K and V pools); after the tokens are read
      // and the masks computed, the masked sample (tokens, logprobs, top-k) is queued by itself.
      expect(evals.length).toBe(2);
      expect(evals[0]).toBe(1 + 2 * layers);
      expect(evals[1]).toBeLessThan(1 + 2 * layers);
    }
    // The last step launches nothing: its masked sample was queued on its own in the step before, and is read now.
    expect(evalsPerStep.at(-1)).toEqual([]);
    // The first step, launched from idle, queues its forward a layer at a time (the hidden states after each layer
    // but the last), then the rest with its sample.
    expect(evalsPerStep[0]!.slice(0, layers - 1)).toEqual(Array(layers - 1).fill(1));
    expect(evalsPerStep[0]!.length).toBe(layers);
  });

  test("queueLayers 0: the step from idle queued whole; the same tokens", () => {
    const grouped = run(true);
    const whole = run(true, 0);
    for (const id of ["c0", "c1", "f"]) {
      expect(whole.out.get(id)!.map((t) => t.token)).toEqual(grouped.out.get(id)!.map((t) => t.token));
    }
    expect(whole.evalsPerStep[0]!.length).toBe(1);
    expect(whole.evalsPerStep.slice(2, 15)).toEqual(grouped.evalsPerStep.slice(2, 15));
  });

  test("a grammar that rejects a token its mask allowed fails its request alone, with the next step launched ahead", () => {
    // The last request's rejection empties the core while its next step waits, launched ahead, for its masks.
    class Faulty extends HashGrammar {
      override acceptToken(token: number): boolean {
        return this.accepted.length === 4 ? (this.rejected.push(token), false) : super.acceptToken(token);
      }
    }
    const core = new EngineCore(model, { maxModelLen: 256, numGpuBlocks: 64, asyncScheduling: true });
    const g = new Faulty(3);
    core.addRequest(request("bad", 1, 20), g);
    let error: unknown = null;
    let emitted = 0;
    try {
      while (core.hasUnfinished()) emitted += core.step().length;
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CoreStepError);
    expect((error as CoreStepError).requestIds).toEqual(["bad"]);
    expect([emitted, g.accepted.length, g.rejected.length]).toEqual([4, 4, 1]);
    expect(core.numLaunchedAhead).toBeGreaterThan(0);
    expect(core.hasUnfinished()).toBe(false);
    // The core goes on serving.
    core.addRequest(request("next", 2, 6), new HashGrammar(4));
    let n = 0;
    while (core.hasUnfinished()) n += core.step().length;
    core.dispose();
    expect(n).toBe(6);
  });

  test("a masked row stays masked under temperature sampling with a seed", () => {
    const core = new EngineCore(model, { maxModelLen: 256, numGpuBlocks: 64 });
    const g = new HashGrammar(5);
    core.addRequest(request("t", 3, 30, { ...GREEDY, temperature: 1.5, seed: 9, topP: 0.9 }), g);
    let n = 0;
    while (core.hasUnfinished()) n += core.step().length;
    core.dispose();
    expect(n).toBe(30);
    expect(g.rejected).toEqual([]);
    expect(g.accepted.length).toBe(30);
  });
});
