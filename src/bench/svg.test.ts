import { describe, expect, test } from "bun:test";
import type { ServeBenchRow } from "./serve-bench.ts";
import { serveBenchChart } from "./serve-report.ts";
import { summarizeRun } from "./metrics.ts";
import { escapeXml, niceTicks, renderChart } from "./svg.ts";

/** A strict-enough XML check: one root, balanced tags, quoted attributes, escaped text. */
function checkWellFormed(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, "");
  const stack: string[] = [];
  let roots = 0;
  const tokens = body.match(/<[^>]*>|[^<]+/g) ?? [];
  expect(tokens.join("")).toBe(body);
  for (const token of tokens) {
    if (!token.startsWith("<")) {
      expect(/&(?!amp;|lt;|gt;|quot;)/.test(token)).toBe(false);
      if (stack.length === 0) expect(token.trim()).toBe("");
      continue;
    }
    const close = /^<\/([\w-]+)\s*>$/.exec(token);
    if (close) {
      expect(stack.pop()).toBe(close[1] as string);
      continue;
    }
    const open = /^<([\w-]+)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>$/.exec(token);
    expect(open).not.toBeNull();
    if (stack.length === 0) roots++;
    if (open?.[3] !== "/") stack.push(open?.[1] as string);
  }
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
}

function row(concurrency: number, tokPerS: number): ServeBenchRow {
  const records = Array.from({ length: 4 }, (_, i) => ({ startMs: 0, chunkTimesMs: [100 * concurrency, 100 * concurrency + 50 + i],
    endMs: 100 * concurrency + 50 + i, promptTokens: 10, outputTokens: 2, ok: true }));
  return { label: `c=${concurrency}`, load: { kind: "concurrency", concurrency },
    summary: { ...summarizeRun(records, 1), outputThroughput: tokPerS }, errors: [] };
}

describe("SVG chart", () => {
  test("niceTicks", () => {
    expect(niceTicks(87)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0)).toEqual([0, 1]);
    expect(niceTicks(2300)).toEqual([0, 500, 1000, 1500, 2000, 2500]);
  });
  test("escapeXml", () => {
    expect(escapeXml(`a<b & "c">`)).toBe("a&lt;b &amp; &quot;c&quot;&gt;");
  });
  test("a serve-bench chart is well-formed and has a point per concurrency in every series", () => {
    const rows = [1, 2, 4, 8, 16].map((c) => row(c, c * 10));
    const svg = serveBenchChart([{ name: "m <1>", rows }], "Model & co", "random 128 in");
    checkWellFormed(svg);
    for (const label of ["1", "2", "4", "8", "16"]) expect(svg).toContain(`class="xtick">${label}</text>`);
    const series = [...svg.matchAll(/<g class="series" data-name="([^"]*)">([\s\S]*?)<\/g>/g)];
    expect(series.map((m) => m[1])).toEqual(["output tok/s", "p50", "p99"]);
    for (const m of series) expect((m[2]?.match(/<circle /g) ?? []).length).toBe(5);
    expect(svg).toContain("Model &amp; co");
    expect(svg).toContain("output tok/s: 160</title>");
    expect(svg).toContain(`stroke-dasharray="6 4"`);
  });
  test("several servers get one colour each; a missing level leaves a gap", () => {
    const a = [1, 2, 4].map((c) => row(c, c));
    const b = [1, 4].map((c) => row(c, c * 2));
    const svg = serveBenchChart([{ name: "us", rows: a }, { name: "peer", rows: b }], "cmp");
    checkWellFormed(svg);
    const names = [...svg.matchAll(/data-name="([^"]*)"/g)].map((m) => m[1]);
    expect(names).toEqual(["us", "peer", "us p50", "us p99", "peer p50", "peer p99"]);
    const peer = /data-name="peer">([\s\S]*?)<\/g>/.exec(svg)?.[1] ?? "";
    expect((peer.match(/<circle /g) ?? []).length).toBe(2);
    expect(peer).not.toContain("<polyline");
  });
  test("renderChart with one x tick", () => {
    const svg = renderChart({ title: "t", xLabel: "x", xTicks: ["1"], panels: [{ title: "p", yLabel: "y",
      series: [{ name: "s", values: [3] }] }] });
    checkWellFormed(svg);
  });
});
