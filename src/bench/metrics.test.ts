import { describe, expect, test } from "bun:test";
import { meetsSlo, percentile, type RequestRecord, requestTimings, summarize, summarizeRun } from "./metrics.ts";

function record(startMs: number, chunks: number[], outputTokens: number, promptTokens = 10): RequestRecord {
  return { startMs, chunkTimesMs: chunks, endMs: chunks.at(-1) ?? startMs, promptTokens, outputTokens, ok: true };
}

describe("percentile (linear interpolation between closest ranks)", () => {
  test("exact ranks and interpolated ranks", () => {
    expect(percentile([3, 1, 2], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([10, 20], 99)).toBeCloseTo(19.9, 12);
    expect(percentile([0, 10, 20, 30, 40], 95)).toBeCloseTo(38, 12);
    expect(percentile([5], 99)).toBe(5);
    expect(percentile([1, 2, 3], 0)).toBe(1);
    expect(percentile([1, 2, 3], 100)).toBe(3);
  });
  test("matches numpy's default on a larger sample", () => {
    const values = Array.from({ length: 101 }, (_, i) => i * i);
    // n = 101: rank = p exactly, so p99 is the 100th value and p95.5 sits halfway between two
    expect(percentile(values, 99)).toBe(9801);
    expect(percentile(values, 95.5)).toBeCloseTo((95 * 95 + 96 * 96) / 2, 9);
  });
  test("empty sample is NaN, bad p throws", () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
  test("summarize", () => {
    expect(summarize([1, 2, 3])).toEqual({ mean: 2, median: 2, p95: 2.9, p99: expect.closeTo(2.98, 12) });
  });
});

describe("requestTimings", () => {
  test("TTFT, TPOT = (e2e - ttft)/(tokens - 1), ITL gaps", () => {
    const t = requestTimings(record(1000, [1100, 1120, 1150, 1190], 4));
    expect(t).toEqual({ ttftMs: 100, tpotMs: 30, itlMs: [20, 30, 40], e2eMs: 190 });
  });
  test("usage counts tokens, not chunks: 2 chunks carrying 5 tokens", () => {
    const t = requestTimings(record(0, [50, 150], 5));
    expect(t?.tpotMs).toBe(25);
    expect(t?.itlMs).toEqual([100]);
  });
  test("one token has no TPOT; failures and empty outputs are null", () => {
    expect(requestTimings(record(0, [40], 1))?.tpotMs).toBeUndefined();
    expect(requestTimings({ ...record(0, [40], 1), ok: false })).toBeNull();
    expect(requestTimings(record(0, [], 0))).toBeNull();
  });
});

describe("goodput and run summaries", () => {
  test("meetsSlo checks every objective given", () => {
    const t = { ttftMs: 100, tpotMs: 30, itlMs: [], e2eMs: 500 };
    expect(meetsSlo(t, {})).toBe(true);
    expect(meetsSlo(t, { ttftMs: 100, tpotMs: 30 })).toBe(true);
    expect(meetsSlo(t, { ttftMs: 99 })).toBe(false);
    expect(meetsSlo(t, { tpotMs: 29.9 })).toBe(false);
    expect(meetsSlo(t, { e2eMs: 400 })).toBe(false);
  });
  test("summarizeRun totals, throughput, goodput and failures", () => {
    const records = [
      record(0, [100, 200, 300], 3, 20), // ttft 100, tpot 100
      record(0, [400, 450], 2, 30), // ttft 400, tpot 50
      { ...record(0, [], 0), ok: false, error: "boom" },
    ];
    const s = summarizeRun(records, 2, { ttftMs: 200 });
    expect(s.completed).toBe(2);
    expect(s.failed).toBe(1);
    expect(s.withoutText).toBe(0);
    expect(s.totalInputTokens).toBe(50);
    expect(s.totalOutputTokens).toBe(5);
    expect(s.requestThroughput).toBe(1);
    expect(s.outputThroughput).toBe(2.5);
    expect(s.totalTokenThroughput).toBe(27.5);
    expect(s.goodput).toBe(0.5);
    expect(s.ttftMs.mean).toBe(250);
    expect(s.tpotMs.mean).toBe(75);
    expect(s.itlMs.median).toBe(100);
    expect(s.e2eMs.p99).toBeCloseTo(300 + 0.99 * 150, 9);
    expect(s.decodeTokPerS.mean).toBe(15); // (10 + 20) / 2
    expect(s.prefillTokPerS.mean).toBe((200 + 75) / 2);
    expect(summarizeRun(records, 2).goodput).toBeUndefined();
    // Succeeded without visible text (only special tokens): completed, its usage counted, no timings.
    const silent = summarizeRun([...records, { ...record(0, [], 4, 10), endMs: 500 }], 2);
    expect([silent.completed, silent.failed, silent.withoutText]).toEqual([3, 1, 1]);
    expect(silent.totalOutputTokens).toBe(9);
    expect(silent.ttftMs.mean).toBe(250);
  });
});
