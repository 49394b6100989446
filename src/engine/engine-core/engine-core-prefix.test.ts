import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type * as mx from "../../mlx/index.ts";
import type { DecoderModel, ForwardOptions, Model } from "../../models/decoder.ts";
import type { LayerCache } from "../../nn/cache.ts";
import { tinyModel, type TinyFamily } from "../runner/testing.ts";
import { GREEDY } from "../sampling/params.ts";
import { EngineCore, type EngineCoreRequest } from "./engine-core.ts";
import { drain, expectSameTokens, solo } from "./testing.ts";

const FAMILIES = ["qwen3", "gemma3_text"] as const;
const models = new Map<TinyFamily, DecoderModel>();
beforeAll(async () => {
  for (const f of FAMILIES) models.set(f, await tinyModel(f, { seed: 7 }));
});
afterAll(() => models.clear());

function prompt(len: number, salt: number): number[] {
  return Array.from({ length: len }, (_, i) => (i * 31 + salt * 17 + ((i * i) % 13)) % 256);
}

function request(requestId: string, ids: number[], maxTokens: number): EngineCoreRequest {
  return { requestId, promptTokenIds: ids, sampling: GREEDY, maxTokens, stopTokenIds: new Set() };
}

/** `model` with the token count of each forward recorded (T of its `[T, 1]` tokens). */
function counting(model: DecoderModel): { model: Model; forwards: number[] } {
  const forwards: number[] = [];
  const wrapped = new Proxy(model, {
    get: (target, key) => key !== "forward" ? Reflect.get(target, key)
      : (tokens: mx.Array, caches: readonly LayerCache[], opts?: ForwardOptions) => {
        forwards.push(tokens.shape[0]!);
        return target.forward(tokens, caches, opts);
      },
  });
  return { model: wrapped, forwards };
}

describe("EngineCore prefix hits", () => {
  test("a prompt served from the prefix cache gives the cold run's tokens", () => {
    const model = models.get("qwen3")!;
    const ids = prompt(90, 3);
    const core = new EngineCore(model, { maxModelLen: 512, numGpuBlocks: 256, maxNumBatchedTokens: 64 });
    core.addRequest(request("cold", ids, 16));
    const cold = drain(core).get("cold")!;
    expect(cold[0]!.numCachedTokens).toBe(0);
    core.addRequest(request("warm", ids, 16));
    const warm = drain(core).get("warm")!;
    expect(warm[0]!.numCachedTokens).toBe(80);
    expect(warm.map((t) => t.token)).toEqual(cold.map((t) => t.token));
    expect(core.stats().prefixCacheHits).toBe(80);
    core.dispose();
  });

  test("head dim 64 (the GPU kernels' shapes): a hit of 10 new tokens over 80 cached and its cold run give solo generate's tokens", async () => {
    // On CUDA the hit's 10 rows, padded to 16 by the step, share one block table: the chunk kernel (the cold run's
    // chunks too); the solo run attends over a contiguous cache. On the CPU, the float32 CPU kernel.
    const model = await tinyModel("qwen3", { seed: 11, headDim: 64 });
    const ids = prompt(90, 5);
    const want = solo(model, ids, 12);
    const core = new EngineCore(model, { maxModelLen: 512, numGpuBlocks: 256, maxNumBatchedTokens: 64 });
    core.addRequest(request("cold", ids, 12));
    const cold = drain(core).get("cold")!;
    core.addRequest(request("warm", ids, 12));
    const warm = drain(core).get("warm")!;
    expect(warm[0]!.numCachedTokens).toBe(80);
    expect(expectSameTokens(cold.map((t) => t.token), want, "cold")).toBe(0);
    expect(expectSameTokens(warm.map((t) => t.token), want, "warm")).toBe(0);
    core.dispose();
  });

  // [label, prompt length, tokens the hit finds cached]: blocks of 16, the cold run caches every full one.
  const cases = [["the whole prompt cached", 96, 96], ["one token past the cached blocks", 97, 96], ["ten tokens past them", 90, 80]] as const;
  for (const family of FAMILIES) {
    for (const [label, len, cached] of cases) {
      test(`${family}, ${label}: one forward of the uncached remainder (the last token alone when none is), its token read in the first step() before any step is queued ahead, the cold run's tokens`, () => {
        const { model, forwards } = counting(models.get(family)!);
        // Unpadded steps (GPU backends pad by default): the forward's rows are the tokens it computes.
        const core = new EngineCore(model, { maxModelLen: 512, numGpuBlocks: 256, maxNumBatchedTokens: 64, padSteps: false });
        const ids = prompt(len, 11);
        core.addRequest(request("cold", ids, 8));
        const cold = drain(core).get("cold")!.map((t) => t.token);
        core.addRequest(request("hit", ids, 8));
        forwards.length = 0;
        const ahead = core.numLaunchedAhead;
        const first = core.step();
        expect(first.map((t) => [t.requestId, t.numCachedTokens])).toEqual([["hit", cached]]);
        expect(forwards).toEqual([Math.max(1, len - cached)]);
        expect(core.numLaunchedAhead).toBe(ahead);
        const rest = drain(core).get("hit")!.map((t) => t.token);
        expect([first[0]!.token, ...rest]).toEqual(cold);
        expect(core.stats()).toMatchObject({ running: 0, waiting: 0, usedBlocks: 0 });
        core.dispose();
      });
    }
  }
});
