/** Medians, ratios and the markdown table of bench/vlm. */

/** What one side prints for one run (bench/vlm/ours.ts, bench/vlm/mlx_vlm_gen.py). */
export interface SideResult {
  side: string;
  prompt_tokens: number;
  media_tokens: number;
  generated: number;
  encode_ms: number;
  ttft_ms: number;
  decode_tps: number;
  peak_bytes: number;
}

export interface Medians {
  encodeMs: number;
  ttftMs: number;
  decodeTps: number;
  peakBytes: number;
}

export interface SubjectReport {
  arch: string;
  precision: string;
  promptTokens: number;
  mediaTokens: number;
  ours: Medians;
  theirs: Medians;
  runs: { ours: SideResult[]; theirs: SideResult[] };
}

/**
 * The median of each figure over a side's runs.
 *
 * @example
 *   median([3, 1, 2]); // 2
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function medianOf(runs: readonly SideResult[]): Medians {
  return {
    encodeMs: median(runs.map((r) => r.encode_ms)),
    ttftMs: median(runs.map((r) => r.ttft_ms)),
    decodeTps: median(runs.map((r) => r.decode_tps)),
    peakBytes: median(runs.map((r) => r.peak_bytes)),
  };
}

/** Encoder ratio (mlx-vlm time / ours) and decode ratio (ours tok/s / mlx-vlm's); >= 1.0 means we are as fast or faster. */
export function ratios(r: Pick<SubjectReport, "ours" | "theirs">): { encoder: number; decode: number; ttft: number } {
  return { encoder: r.theirs.encodeMs / r.ours.encodeMs, decode: r.ours.decodeTps / r.theirs.decodeTps, ttft: r.theirs.ttftMs / r.ours.ttftMs };
}

const f = (v: number, d: number) => (Number.isFinite(v) ? v.toFixed(d) : "-");

export function renderVlmMarkdown(meta: Record<string, unknown>, reports: readonly SubjectReport[]): string {
  const lines = [
    `Backend ${String(meta.backend)}, image ${String(meta.image)}, ${String(meta.maxTokens)} decoded tokens, medians of ` +
      `${String(meta.rounds)} rounds (order alternating), ${String(meta.textLayers)} text layers / ${String(meta.visionLayers)} vision blocks; ` +
      `mlx-vlm / mlx: ${String(meta.python)}`,
    "",
    "| Subject | Prompt tok (image) | Encoder ms ours / mlx-vlm | **Encoder ratio** | TTFT ms ours / mlx-vlm | Decode tok/s ours / mlx-vlm | **Decode ratio** | Peak MiB ours / mlx-vlm |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of reports) {
    const q = ratios(r);
    lines.push(`| ${r.arch} ${r.precision} | ${r.promptTokens} (${r.mediaTokens}) | ${f(r.ours.encodeMs, 1)} / ${f(r.theirs.encodeMs, 1)} | ` +
      `**${f(q.encoder, 2)}** | ${f(r.ours.ttftMs, 1)} / ${f(r.theirs.ttftMs, 1)} | ${f(r.ours.decodeTps, 2)} / ${f(r.theirs.decodeTps, 2)} | ` +
      `**${f(q.decode, 2)}** | ${f(r.ours.peakBytes / 2 ** 20, 0)} / ${f(r.theirs.peakBytes / 2 ** 20, 0)} |`);
  }
  return lines.join("\n");
}
