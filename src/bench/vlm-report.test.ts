import { describe, expect, test } from "bun:test";
import type { VlmCaseResult } from "./vlm-bench.ts";
import { imageCase, videoCase } from "./vlm-cases.ts";
import { fmtPixels, vlmResultsTable, vlmSummary } from "./vlm-report.ts";
import type { CaseTiming } from "./vlm-runner.ts";

function timing(over: Partial<CaseTiming>): CaseTiming {
  return { promptTokens: 90, mediaTokens: 64, generatedTokens: 32, preprocessMs: 3, encodeMs: 12.34, ttftMs: 40.06,
    prefillMs: 24, decodeTps: 55.55, totalMs: 1500, peakMemoryBytes: 3 * 2 ** 30, ...over };
}

describe("VLM report", () => {
  test("pixel counts as the original benchmark prints them", () => {
    expect(fmtPixels(224 * 224)).toBe("50K");
    expect(fmtPixels(1920 * 1080)).toBe("2.1M");
    expect(fmtPixels(1024 * 1024)).toBe("1.0M");
    expect(fmtPixels(900)).toBe("900");
  });

  test("image table: one row per case, failed cases dashed", () => {
    const results: VlmCaseResult[] = [
      { case: imageCase(224, 224), timing: timing({}) },
      { case: imageCase(1920, 1080), error: "out of memory" },
    ];
    expect(vlmResultsTable(results)).toBe([
      "Resolution  Pixels  Media tok  Prompt tok  Encoder (ms)  TTFT (ms)  Decode (tok/s)  Gen tok  Total (s)  Peak mem",
      "----------  ------  ---------  ----------  ------------  ---------  --------------  -------  ---------  --------",
      "224x224     50K            64          90          12.3       40.1            55.5       32       1.50  3.00 GiB",
      "1920x1080   2.1M            -           -             -          -               -        -          -         -",
    ].join("\n"));
  });

  test("video table in markdown", () => {
    const table = vlmResultsTable([{ case: videoCase(8, 2), timing: timing({ mediaTokens: 128 }) }], { markdown: true });
    const lines = table.split("\n");
    expect(lines[0]).toBe("| Configuration   | Frames | Media tok | Prompt tok | Encoder (ms) | TTFT (ms) | Decode (tok/s) | Gen tok | Total (s) | Peak mem |");
    expect(lines[2]).toBe("| 8 frames @ 2fps |      8 |       128 |         90 |         12.3 |      40.1 |           55.5 |      32 |      1.50 | 3.00 GiB |");
  });

  test("summary: means, fastest and slowest, peak, failures", () => {
    const results: VlmCaseResult[] = [
      { case: imageCase(224, 224), timing: timing({ encodeMs: 10, ttftMs: 30, decodeTps: 50, totalMs: 1000, peakMemoryBytes: 2 ** 30 }) },
      { case: imageCase(448, 448), timing: timing({ encodeMs: 30, ttftMs: 50, decodeTps: 40, totalMs: 2500, peakMemoryBytes: 2 ** 31 }) },
      { case: imageCase(1920, 1080), error: "boom" },
    ];
    expect(vlmSummary(results)).toEqual([
      "Average: encoder 20.0 ms, TTFT 40.0 ms, decode 45.0 tok/s over 2 cases",
      "Fastest: 224x224 (1.00 s); slowest: 448x448 (2.50 s)",
      "Peak memory (MLX): 2.00 GiB",
      "failed: 1920x1080: boom",
    ]);
    expect(vlmSummary([])).toEqual([]);
  });
});
