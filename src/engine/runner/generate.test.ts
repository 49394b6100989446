import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import * as mx from "../../mlx/index.ts";
import { loadModelDir } from "../../models/load.ts";
import { writeFixtureModel } from "../frontend/testing/fixture-model.ts";
import { generate } from "./generate.ts";
import { GREEDY, samplingParams } from "../sampling/params.ts";

const dir = writeFixtureModel({ seed: 7 });
const { model } = await loadModelDir(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const prompt = [9707, 11, 1879, 0, 358, 1079, 264, 1273, 13];

function run(maxTokens: number, sampling = GREEDY): number[] {
  return [...generate(model, prompt, { maxTokens, sampling, stopTokenIds: new Set() })].map((t) => t.token);
}

describe("generate", () => {
  test("the pipelined path (no penalties) gives the same greedy tokens as the unpipelined one", () => {
    const pipelined = run(12);
    // A repetition penalty of exactly 1 + tiny epsilon switches off pipelining but is too small to change greedy picks here.
    const serial = run(12, samplingParams({ temperature: 0, repetitionPenalty: 1 + 1e-7 }));
    expect(pipelined).toHaveLength(12);
    expect(serial).toEqual(pipelined);
  });

  test("a consumer that stops early leaves no native arrays behind", () => {
    run(2); // warm-up: lazily created constants
    const before = mx.info().liveArrays;
    for (const t of generate(model, prompt, { maxTokens: 50, sampling: GREEDY, stopTokenIds: new Set() })) {
      if (t.token >= 0) break; // leave after the first token, with the next step already queued
    }
    expect(mx.info().liveArrays).toBe(before);
    run(5);
    expect(mx.info().liveArrays).toBe(before);
  });

  test("maxTokens and stop tokens end generation with the right finish reason", () => {
    const out = [...generate(model, prompt, { maxTokens: 4, sampling: GREEDY, stopTokenIds: new Set() })];
    expect(out.map((t) => t.finishReason)).toEqual([null, null, null, "length"]);
    const first = out[0]!.token;
    const stopped = [...generate(model, prompt, { maxTokens: 10, sampling: GREEDY, stopTokenIds: new Set([first]) })];
    expect(stopped).toHaveLength(1);
    expect(stopped[0]!.finishReason).toBe("stop");
  });
});
