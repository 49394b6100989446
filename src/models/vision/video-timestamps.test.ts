import { describe, expect, test } from "bun:test";
import { formatSeconds, timestampedVideo, videoGroupTimestamps } from "./video-timestamps.ts";

describe("Qwen3-VL video timestamps", () => {
  test("format as Python's {:.1f}: exact ties to even, everything else by the binary value", () => {
    // Values and strings checked against CPython 3.11's f"{x:.1f}".
    const cases: [number, string][] = [
      [0, "0.0"], [0.25, "0.2"], [0.75, "0.8"], [1.25, "1.2"], [2.25, "2.2"], [2.75, "2.8"], [10.25, "10.2"],
      [0.35, "0.3"], [0.45, "0.5"], [0.05, "0.1"], [0.15, "0.1"], [1 / 3, "0.3"], [29.97, "30.0"], [7.5, "7.5"],
    ];
    for (const [x, want] of cases) expect(formatSeconds(x)).toBe(want);
  });

  test("group times: the mean of each group's first and last frame", () => {
    expect(videoGroupTimestamps(2, 2, { fps: 2 })).toEqual([0.25, 1.25]);
    expect(videoGroupTimestamps(3, 2, { fps: 4 })).toEqual([0.125, 0.625, 1.125]);
    // Source indices over the source rate; 5 indices fill 3 groups by repeating the last.
    expect(videoGroupTimestamps(3, 2, { sourceFps: 10, indices: [0, 5, 10, 15, 20] })).toEqual([0.25, 1.25, 2]);
    expect(() => videoGroupTimestamps(2, 2, { sourceFps: 10, indices: [0, 5] })).toThrow(/2 frame indices for 4 frames/);
    expect(() => videoGroupTimestamps(1, 2, { fps: 0 })).toThrow(/positive/);
    expect(() => videoGroupTimestamps(1, 2, { sourceFps: Number.NaN, indices: [0, 1] })).toThrow(/positive/);
  });

  test("one text block per group", () => {
    const tokens = { start: "<s>", pad: "P", end: "</s>" };
    expect(timestampedVideo([0.25, 2], 3, tokens)).toBe("<0.2 seconds><s>PPP</s><2.0 seconds><s>PPP</s>");
  });
});
