import { describe, expect, test } from "bun:test";
import { poissonGaps, runLoad } from "./load.ts";

describe("load shapes", () => {
  test("closed loop keeps exactly `concurrency` requests in flight and returns results in order", async () => {
    let inFlight = 0;
    let peak = 0;
    const done: number[] = [];
    const out = await runLoad([5, 1, 3, 2, 4, 1, 2], { kind: "concurrency", concurrency: 3 }, async (ms, i) => {
      peak = Math.max(peak, ++inFlight);
      await Bun.sleep(ms);
      inFlight--;
      return i * 10;
    }, { onDone: (n) => done.push(n) });
    expect(out).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(peak).toBe(3);
    expect(done).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
  test("poisson gaps are seeded with mean 1/rate", () => {
    const gaps = poissonGaps(20_000, 4, 7);
    expect(poissonGaps(20_000, 4, 7)).toEqual(gaps);
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
    expect(Math.abs(mean - 0.25)).toBeLessThan(0.01);
    expect(gaps.every((g) => g >= 0)).toBe(true);
    expect(poissonGaps(3, Infinity, 0)).toEqual([0, 0, 0]);
    expect(() => poissonGaps(3, 0, 0)).toThrow(RangeError);
  });
  test("rate mode spaces arrivals and honours maxConcurrency", async () => {
    let inFlight = 0;
    let peak = 0;
    const started = performance.now();
    await runLoad(Array.from({ length: 8 }), { kind: "rate", requestRate: 200, maxConcurrency: 2 }, async () => {
      peak = Math.max(peak, ++inFlight);
      await Bun.sleep(10);
      inFlight--;
    });
    expect(peak).toBeLessThanOrEqual(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(35); // 8 requests, 2 at a time, 10 ms each
  });
});
