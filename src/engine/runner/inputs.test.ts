import { describe, expect, test } from "bun:test";
import { Sequence, type ScheduledSequence } from "../core/index.ts";
import { paddedSize, padRows, prepareStep, slotOf } from "./inputs.ts";

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

  test("a mixed step flattens decodes and prefill chunks in scheduled order", () => {
    const tokens = Array.from({ length: 10 }, (_, i) => 100 + i);
    const decode = entry([1, 2, 3, 4, 5, 6], [4, 1], 5, 1);
    const chunk = entry(tokens, [5, 2, 9], 3, 6); // positions 3..8 of 10: samples nothing
    const short = entry([9, 8], [6], 1, 1);
    const inputs = prepareStep([decode, chunk, short], 4);
    expect(inputs).toEqual({
      tokenIds: [6, 103, 104, 105, 106, 107, 108, 8],
      positions: [5, 3, 4, 5, 6, 7, 8, 1],
      slotMapping: [5, 23, 8, 9, 10, 11, 36, 25],
      tokenRows: [0, 1, 1, 1, 1, 1, 1, 2],
      rows: [
        { start: 0, numTokens: 1, numComputedTokens: 5, seqLen: 6 },
        { start: 1, numTokens: 6, numComputedTokens: 3, seqLen: 9 },
        { start: 7, numTokens: 1, numComputedTokens: 1, seqLen: 2 },
      ],
      blockTables: [[4, 1, 0], [5, 2, 9], [6, 0, 0]],
      logitsIndices: [0, 7],
      decodeIndices: [0, 7],
      padSource: null,
    });
  });

  test("paddedSize buckets: 1, 2, 4, then multiples of 8 up to 512", () => {
    expect([1, 2, 3, 4, 5, 8, 9, 17, 512, 513].map((n) => paddedSize(n))).toEqual([1, 2, 4, 4, 8, 8, 16, 24, 512, 513]);
  });

  test("padRows repeats the last token as rows of its own (same position, slot and table), sampling nothing", () => {
    const inputs = prepareStep([entry([1, 2, 3, 4, 5, 6], [4, 1], 5, 1), entry([9, 8, 7], [6], 0, 3)], 4);
    padRows(inputs, 8);
    expect(inputs.tokenIds).toEqual([6, 9, 8, 7, 7, 7, 7, 7]);
    expect(inputs.positions).toEqual([5, 0, 1, 2, 2, 2, 2, 2]);
    expect(inputs.slotMapping).toEqual([5, 24, 25, 26, 26, 26, 26, 26]);
    expect(inputs.rows.slice(2)).toEqual([4, 5, 6, 7].map((start) => ({ start, numTokens: 1, numComputedTokens: 2, seqLen: 3 })));
    expect(inputs.blockTables.slice(2)).toEqual([[6, 0], [6, 0], [6, 0], [6, 0]]);
    expect(inputs.logitsIndices).toEqual([0, 3]);
    expect(inputs.padSource).toBe(3);
  });

  test("a prefill chunk that ends its prompt samples its last token", () => {
    const inputs = prepareStep([entry([1, 2, 3, 4, 5], [3, 7], 2, 3)], 4);
    expect(inputs.logitsIndices).toEqual([2]);
    expect(inputs.decodeIndices).toEqual([]);
    expect(inputs.blockTables).toEqual([[3, 7]]);
  });
});
