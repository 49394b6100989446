import { describe, expect, test } from "bun:test";
import { Sequence } from "./sequence.ts";

describe("Sequence", () => {
  test("starts waiting with the prompt as its tokens", () => {
    const seq = new Sequence({ promptTokenIds: [5, 6, 7], maxTokens: 4 });
    expect(seq.status).toBe("waiting");
    expect(seq.numTokens).toBe(3);
    expect(seq.numPromptTokens).toBe(3);
    expect(seq.numOutputTokens).toBe(0);
    expect(seq.blockTable).toEqual([]);
    expect(seq.finishReason).toBeNull();
  });

  test("appendToken grows outputs and tokens, not the prompt", () => {
    const seq = new Sequence({ promptTokenIds: [1, 2], maxTokens: 4 });
    seq.appendToken(9);
    seq.appendToken(8);
    expect(seq.outputTokenIds).toEqual([9, 8]);
    expect(seq.tokenIds).toEqual([1, 2, 9, 8]);
    expect(seq.promptTokenIds).toEqual([1, 2]);
  });

  test("copies the prompt array it is given", () => {
    const prompt = [1, 2, 3];
    const seq = new Sequence({ promptTokenIds: prompt, maxTokens: 1 });
    prompt.push(4);
    expect(seq.numTokens).toBe(3);
  });

  test("numBlocks rounds up", () => {
    const seq = new Sequence({ promptTokenIds: Array.from({ length: 9 }, (_, i) => i), maxTokens: 1 });
    expect(seq.numBlocks(4)).toBe(3);
    expect(seq.numBlocks(9)).toBe(1);
    expect(seq.numBlocks(16)).toBe(1);
  });

  test("isPrefillDone once all but the last sampled token are computed (a prompt's last token is prefill)", () => {
    const seq = new Sequence({ promptTokenIds: [1, 2, 3, 4], maxTokens: 4 });
    expect(seq.isPrefillDone).toBe(false);
    seq.numComputedTokens = 3;
    expect(seq.isPrefillDone).toBe(false);
    seq.numComputedTokens = 4;
    seq.appendToken(7);
    expect(seq.isPrefillDone).toBe(true);
    const resumed = new Sequence({ promptTokenIds: [1, 2, 3, 4], outputTokenIds: [7], maxTokens: 4 });
    resumed.numComputedTokens = 4;
    expect(resumed.isPrefillDone).toBe(true);
  });

  test("default ids are unique and sampling params are carried opaquely", () => {
    const a = new Sequence({ promptTokenIds: [1], maxTokens: 1, samplingParams: { temperature: 0.5 } });
    const b = new Sequence({ promptTokenIds: [1], maxTokens: 1 });
    expect(a.id).not.toBe(b.id);
    expect(a.samplingParams).toEqual({ temperature: 0.5 });
    expect(new Sequence({ id: 42, promptTokenIds: [1], maxTokens: 1, arrivalTime: 3 }).arrivalTime).toBe(3);
  });
});
