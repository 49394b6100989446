import { describe, expect, test } from "bun:test";
import {
  calibrateWordsPerToken, prefixRepetitionDataset, randomDataset, seededRandom, WORDS, wordsForTokens,
} from "./datasets.ts";

const cal = { overheadTokens: 10, tokensPerWord: 1.25 };

describe("datasets", () => {
  test("seededRandom is deterministic and in [0, 1)", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(seededRandom(43)()).not.toBe(xs[0]);
    expect(Math.abs(xs.reduce((s, x) => s + x, 0) / 1000 - 0.5)).toBeLessThan(0.05);
  });
  test("calibration fits a line and inverts it", () => {
    expect(calibrateWordsPerToken({ words: 10, tokens: 22 }, { words: 110, tokens: 147 }))
      .toEqual({ overheadTokens: 9.5, tokensPerWord: 1.25 });
    expect(() => calibrateWordsPerToken({ words: 10, tokens: 22 }, { words: 110, tokens: 22 })).toThrow(RangeError);
    expect(wordsForTokens(135, cal)).toBe(100);
    expect(wordsForTokens(135, cal, false)).toBe(108);
    expect(wordsForTokens(1, cal)).toBe(1);
  });
  test("random dataset: seeded, distinct, sized by the calibration", () => {
    const make = (seed: number) => randomDataset({ numPrompts: 6, inputLen: 135, outputLen: 7, seed, calibration: cal });
    const a = make(1);
    expect(make(1)).toEqual(a);
    expect(make(2)).not.toEqual(a);
    expect(new Set(a.map((p) => p.prompt)).size).toBe(6);
    for (const [i, p] of a.entries()) {
      expect(p.prompt.startsWith(`${i}: `)).toBe(true);
      expect(p.prompt.split(" ").length).toBe(100); // "i:" plus 99 words
      expect(p.outputLen).toBe(7);
      expect(p.prompt.split(" ").slice(1).every((w) => WORDS.includes(w))).toBe(true);
    }
  });
  test("prefix repetition: K shared prefixes, each used numPrompts/K times, seeded order", () => {
    const opts = { numPrompts: 12, numPrefixes: 3, prefixLen: 60, suffixLen: 10, outputLen: 4, seed: 5, calibration: cal };
    const a = prefixRepetitionDataset(opts);
    expect(prefixRepetitionDataset(opts)).toEqual(a);
    const prefixes = a.map((p) => p.prompt.split("\n")[0] as string);
    const counts = new Map<string, number>();
    for (const p of prefixes) counts.set(p, (counts.get(p) ?? 0) + 1);
    expect([...counts.values()]).toEqual([4, 4, 4]);
    expect(prefixes[0]?.split(" ").length).toBe(wordsForTokens(60, cal));
    expect(new Set(a.map((p) => p.prompt)).size).toBe(12);
    expect(a.map((p) => p.prompt.split("\n")[1]?.split(":")[0])).not.toEqual(
      Array.from({ length: 12 }, (_, i) => String(i)));
    expect(a[0]?.inputLen).toBe(70);
  });
});
