/** Tables and the summary line of the VLM benchmark. */
import { fmt, fmtBytes, formatTable } from "./table.ts";
import type { VlmCaseResult } from "./vlm-bench.ts";

const IMAGE_HEADERS = ["Resolution", "Pixels", "Media tok", "Prompt tok", "Encoder (ms)", "TTFT (ms)", "Decode (tok/s)", "Gen tok", "Total (s)", "Peak mem"];
const VIDEO_HEADERS = ["Configuration", "Frames", "Media tok", "Prompt tok", "Encoder (ms)", "TTFT (ms)", "Decode (tok/s)", "Gen tok", "Total (s)", "Peak mem"];

/** `50176` -> `50K`, `2073600` -> `2.1M`, as the original benchmark prints pixel counts. */
export function fmtPixels(pixels: number): string {
  if (pixels >= 1e6) return `${(pixels / 1e6).toFixed(1)}M`;
  if (pixels >= 1e3) return `${Math.round(pixels / 1e3)}K`;
  return String(pixels);
}

function row(r: VlmCaseResult): string[] {
  const c = r.case;
  const head = c.kind === "image" ? [c.name, fmtPixels(c.width * c.height)] : [c.name, String(c.frames)];
  const t = r.timing;
  if (!t) return [...head, "-", "-", "-", "-", "-", "-", "-", "-"];
  return [...head, String(t.mediaTokens), String(t.promptTokens), fmt(t.encodeMs, 1), fmt(t.ttftMs, 1), fmt(t.decodeTps, 1),
    String(t.generatedTokens), fmt(t.totalMs / 1000, 2), fmtBytes(t.peakMemoryBytes)];
}

/**
 * The results table (image or video columns, by the first case's kind).
 *
 * @example
 *   console.log(vlmResultsTable(results, { markdown: true }));
 */
export function vlmResultsTable(results: readonly VlmCaseResult[], options: { markdown?: boolean } = {}): string {
  const headers = results[0]?.case.kind === "video" ? VIDEO_HEADERS : IMAGE_HEADERS;
  return formatTable(headers, results.map(row), options);
}

/**
 * The summary under the table: mean decode speed, fastest and slowest cases by total time, peak memory, and
 * the failed cases.
 */
export function vlmSummary(results: readonly VlmCaseResult[]): string[] {
  const ok = results.filter((r): r is Required<VlmCaseResult> => r.timing !== undefined);
  const lines: string[] = [];
  if (ok.length > 0) {
    const mean = (f: (r: Required<VlmCaseResult>) => number) => ok.reduce((s, r) => s + f(r), 0) / ok.length;
    const byTime = [...ok].sort((a, b) => a.timing.totalMs - b.timing.totalMs);
    const fastest = byTime[0]!;
    const slowest = byTime[byTime.length - 1]!;
    lines.push(`Average: encoder ${fmt(mean((r) => r.timing.encodeMs), 1)} ms, TTFT ${fmt(mean((r) => r.timing.ttftMs), 1)} ms, ` +
      `decode ${fmt(mean((r) => r.timing.decodeTps), 1)} tok/s over ${ok.length} case${ok.length === 1 ? "" : "s"}`);
    lines.push(`Fastest: ${fastest.case.name} (${fmt(fastest.timing.totalMs / 1000, 2)} s); slowest: ${slowest.case.name} ` +
      `(${fmt(slowest.timing.totalMs / 1000, 2)} s)`);
    lines.push(`Peak memory (MLX): ${fmtBytes(Math.max(...ok.map((r) => r.timing.peakMemoryBytes)))}`);
  }
  for (const r of results) if (r.error !== undefined) lines.push(`failed: ${r.case.name}: ${r.error}`);
  return lines;
}
