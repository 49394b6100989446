import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import type { DecoderModel } from "../models/decoder.ts";
import { loadModelDir } from "../models/load.ts";
import type { EngineCoreRequest, TokenOutput } from "./core-types.ts";
import { writeFixtureModel } from "./frontend/testing/fixture-model.ts";
import { generate } from "./generate.ts";
import { GREEDY, samplingParams } from "./sampling/params.ts";
import { SerialEngineCore } from "./serial-core.ts";

let dir = "";
let model: DecoderModel;
beforeAll(async () => {
  dir = writeFixtureModel();
  model = (await loadModelDir(dir)).model;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const request = (requestId: string, prompt: number[], maxTokens: number, extra: Partial<EngineCoreRequest> = {}): EngineCoreRequest =>
  ({ requestId, promptTokenIds: prompt, sampling: GREEDY, maxTokens, stopTokenIds: new Set(), ...extra });

function drain(core: SerialEngineCore): TokenOutput[] {
  const outputs: TokenOutput[] = [];
  while (core.hasUnfinished()) outputs.push(...core.step());
  return outputs;
}

function solo(prompt: number[], maxTokens: number): number[] {
  return [...generate(model, prompt, { maxTokens, sampling: GREEDY, stopTokenIds: new Set() })].map((t) => t.token);
}

describe("SerialEngineCore", () => {
  test("matches generate() for each of several interleaved requests", () => {
    const core = new SerialEngineCore(model, { maxNumSeqs: 2 });
    const prompts = { a: [1, 2, 3], b: [40, 50, 60, 70], c: [9] };
    for (const [id, p] of Object.entries(prompts)) core.addRequest(request(id, p, 5));
    const outputs = drain(core);
    for (const [id, p] of Object.entries(prompts)) {
      const mine = outputs.filter((o) => o.requestId === id);
      expect(mine.map((o) => o.token)).toEqual(solo(p, 5));
      expect(mine.map((o) => o.finishReason)).toEqual([null, null, null, null, "length"]);
      expect(mine[0]).toMatchObject({ index: 0, numPromptTokens: p.length, numCachedTokens: 0, logprob: null, top: null });
    }
  });

  test("round robin: running requests alternate, the third waits for a free slot (FIFO)", () => {
    const core = new SerialEngineCore(model, { maxNumSeqs: 2 });
    core.addRequest(request("a", [1, 2], 3));
    core.addRequest(request("b", [3, 4], 3));
    core.addRequest(request("c", [5, 6], 2));
    expect(core.stats()).toMatchObject({ running: 0, waiting: 3 });
    const order = drain(core).map((o) => o.requestId);
    expect(order).toEqual(["a", "b", "a", "b", "a", "b", "c", "c"]);
    expect(core.stats()).toMatchObject({ running: 0, waiting: 0 });
  });

  test("n=2 runs two choices; a stop token finishes with stop", () => {
    const core = new SerialEngineCore(model, { maxNumSeqs: 4 });
    const expected = solo([7, 8, 9], 4);
    core.addRequest(request("r", [7, 8, 9], 4, { n: 2, stopTokenIds: new Set([expected[2]!]) }));
    const outputs = drain(core);
    for (const index of [0, 1]) {
      const mine = outputs.filter((o) => o.index === index);
      expect(mine.map((o) => o.token)).toEqual(expected.slice(0, 3));
      expect(mine.at(-1)!.finishReason).toBe("stop");
    }
  });

  test("logprobs: the sampled token's logprob and its alternatives", () => {
    const core = new SerialEngineCore(model);
    core.addRequest(request("r", [1, 2, 3], 2, { sampling: samplingParams({ temperature: 0, logprobs: 3 }) }));
    for (const o of drain(core)) {
      expect(o.top).toHaveLength(3);
      expect(o.top![0]!.token).toBe(o.token);
      expect(o.top![0]!.logprob).toBeCloseTo(o.logprob!, 5);
    }
  });

  test("abort frees waiting and running sequences", () => {
    const core = new SerialEngineCore(model, { maxNumSeqs: 1 });
    core.addRequest(request("a", [1, 2], 50));
    core.addRequest(request("b", [3, 4], 50));
    core.step();
    expect(core.stats()).toMatchObject({ running: 1, waiting: 1 });
    core.abortRequest("b");
    core.abortRequest("a");
    core.abortRequest("unknown");
    expect(core.hasUnfinished()).toBe(false);
    expect(core.step()).toEqual([]);
  });

  test("an empty prompt is refused at add time", () => {
    expect(() => new SerialEngineCore(model).addRequest(request("e", [], 3))).toThrow(RangeError);
  });
});
