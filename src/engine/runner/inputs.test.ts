import { describe, expect, test } from "bun:test";
import { Sequence, type ScheduledSequence } from "../core/index.ts";
import { prepareDecode, preparePrefill, slotOf } from "./inputs.ts";

function entry(tokens: number[], blockTable: number[], numComputedTokens: number, numNewTokens: number): ScheduledSequence {
  const seq = new Sequence({ promptTokenIds: tokens, maxTokens: 8 });
  seq.blockTable = blockTable;
  seq.numComputedTokens = numComputedTokens;
  const isPrefill = numNewTokens > 1 || numComputedTokens < tokens.length - 1;
  return { seq, numComputedTokens, numNewTokens, isPrefill, emitsToken: numComputedTokens + numNewTokens === tokens.length };
}

describe("runner inputs", () => {
  test("slotOf maps a position through the block table", () => {
    expect(slotOf([7, 3], 0, 4)).toBe(28);
    expect(slotOf([7, 3], 5, 4)).toBe(13);
    expect(() => slotOf([7], 4, 4)).toThrow(RangeError);
  });

  test("a prefill chunk starting mid-sequence", () => {
    const tokens = Array.from({ length: 10 }, (_, i) => 100 + i);
    const inputs = preparePrefill(entry(tokens, [5, 2, 9], 3, 6), 4);
    expect(inputs).toEqual({
      kind: "prefill",
      B: 1,
      L: 6,
      tokenIds: [103, 104, 105, 106, 107, 108],
      slotMapping: [23, 8, 9, 10, 11, 36],
      blockTables: [[5, 2, 9]],
      numComputedTokens: [3],
      seqLens: [9],
    });
  });

  test("decodes pad block tables to the longest row", () => {
    const a = entry([1, 2, 3, 4, 5, 6], [4, 1], 5, 1);
    const b = entry([9, 8], [6], 1, 1);
    const inputs = prepareDecode([a, b], 4);
    expect(inputs.tokenIds).toEqual([6, 8]);
    expect(inputs.slotMapping).toEqual([5, 25]);
    expect(inputs.blockTables).toEqual([[4, 1], [6, 0]]);
    expect(inputs.numComputedTokens).toEqual([5, 1]);
    expect(inputs.seqLens).toEqual([6, 2]);
  });
});
