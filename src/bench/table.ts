/** Plain-text and markdown tables for benchmark reports. */

/** Formats a number with `digits` decimals; "-" for NaN or undefined. */
export function fmt(value: number | undefined, digits = 2): string {
  if (value === undefined || !Number.isFinite(value)) return "-";
  return value.toFixed(digits);
}

/** Bytes as a short binary size: `512 B`, `1.50 GiB`. */
export function fmtBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return "-";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(2)} ${units[unit]}`;
}

/**
 * Aligns a table: numbers (cells that parse as numbers or "-") right, text left.
 *
 * @example
 *   formatTable(["metric", "mean"], [["TTFT (ms)", "12.30"]]);
 *   // metric     mean
 *   // ---------  -----
 *   // TTFT (ms)  12.30
 */
export function formatTable(headers: string[], rows: string[][], options: { markdown?: boolean } = {}): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const numeric = headers.map((_, c) => rows.length > 0 && rows.every((r) => /^-?[\d.,]+( \S+)?$|^-$/.test(r[c] ?? "")));
  const pad = (cell: string, c: number) =>
    numeric[c] ? cell.padStart(widths[c] as number) : cell.padEnd(widths[c] as number);
  if (options.markdown) {
    const line = (cells: string[]) => `| ${cells.map(pad).join(" | ")} |`;
    const rule = `|${widths.map((w, c) => (numeric[c] ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`;
    return [line(headers), rule, ...rows.map(line)].join("\n");
  }
  const line = (cells: string[]) => cells.map(pad).join("  ").trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
