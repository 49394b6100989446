import { describe, expect, test } from "bun:test";
import type { EngineCoreRequest, TokenOutput } from "../engine-core/core-types.ts";
import { InvalidRequestError } from "../protocol.ts";
import { GREEDY, samplingParams } from "../sampling/params.ts";
import { choiceSeed, ParentRequest } from "./parent-request.ts";

const request = (extra: Partial<EngineCoreRequest> = {}): EngineCoreRequest =>
  ({ requestId: "p", promptTokenIds: [1, 2, 3], sampling: GREEDY, maxTokens: 4, stopTokenIds: new Set([0]), ...extra });
const output = (requestId: string): TokenOutput =>
  ({ requestId, token: 7, logprob: null, top: null, finishReason: null, numPromptTokens: 3, numCachedTokens: 0 });

describe("ParentRequest", () => {
  test("n = 1 is the request itself, under its own id", () => {
    const parent = new ParentRequest(request(), 1);
    expect(parent.start()).toEqual([request()]);
    expect(parent.route(output("p"))).toEqual({ index: 0, release: [] });
  });

  test("choice 0 starts alone; its first output releases the others once, with the prompt and limits of the parent", () => {
    const parent = new ParentRequest(request(), 3);
    expect(parent.childIds).toEqual(["p/0", "p/1", "p/2"]);
    expect(parent.start().map((r) => r.requestId)).toEqual(["p/0"]);
    const { index, release } = parent.route(output("p/0"));
    expect(index).toBe(0);
    expect(release.map((r) => [r.requestId, r.promptTokenIds, r.maxTokens])).toEqual([["p/1", [1, 2, 3], 4], ["p/2", [1, 2, 3], 4]]);
    expect(parent.route(output("p/0")).release).toEqual([]);
    expect(parent.route(output("p/2"))).toEqual({ index: 2, release: [] });
    expect(parent.indexOf("q/1")).toBe(-1);
  });

  test("a seeded request gives choice i a derived seed: choice 0 keeps it, the others differ, the same every time", () => {
    const seeded = request({ sampling: samplingParams({ temperature: 1, seed: 1234 }) });
    const seeds = () => {
      const parent = new ParentRequest(seeded, 4);
      return [...parent.start(), ...parent.route(output("p/0")).release].map((r) => r.sampling.seed);
    };
    const a = seeds();
    expect(a[0]).toBe(1234);
    expect(new Set(a).size).toBe(4);
    expect(seeds()).toEqual(a);
    expect(a[2]).toBe(choiceSeed(1234, 2));
    const unseeded = new ParentRequest(request(), 2);
    expect([...unseeded.start(), ...unseeded.route(output("p/0")).release].map((r) => r.sampling.seed)).toEqual([undefined, undefined]);
  });

  test("n below 1 or not an integer is an InvalidRequestError", () => {
    for (const n of [0, -1, 1.5]) expect(() => new ParentRequest(request(), n)).toThrow(InvalidRequestError);
  });
});
