/**
 * Hand-written SVG line charts: side-by-side panels sharing a categorical x axis (e.g. concurrency levels),
 * each with nice y ticks, gridlines, axis labels and a legend.
 */

/** One line: a value per x label (NaN leaves a gap). */
export interface ChartSeries {
  name: string;
  values: number[];
  /** Dashed line (e.g. p99 beside a solid p50). */
  dashed?: boolean;
  /** Index into the palette; series with the same color index match across panels. */
  color?: number;
}

export interface ChartPanel {
  title: string;
  yLabel: string;
  series: ChartSeries[];
}

export interface ChartSpec {
  title: string;
  subtitle?: string;
  xLabel: string;
  xTicks: string[];
  panels: ChartPanel[];
}

const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563"];
const PANEL_W = 440;
const PANEL_H = 300;
const MARGIN = { left: 72, right: 24, top: 84, bottom: 64 };
const LEGEND_ROW = 20;

/** Escapes text for XML content and attributes. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * Round tick values from 0 to at least `max`: steps of 1, 2 or 5 times a power of ten.
 *
 * @example
 *   niceTicks(87); // [0, 20, 40, 60, 80, 100]
 */
export function niceTicks(max: number, target = 5): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const raw = max / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if ((ticks.at(-1) as number) < max) ticks.push(Number(((ticks.at(-1) as number) + step).toPrecision(12)));
  return ticks;
}

function tickText(value: number): string {
  if (value >= 10_000) return `${Number((value / 1000).toPrecision(4))}k`;
  return String(Number(value.toPrecision(4)));
}

function legendWidth(name: string): number {
  return 44 + name.length * 7;
}

/** Legend rows a panel needs when its entries wrap at the panel width. */
function legendRows(series: ChartSeries[]): number {
  let rows = 1;
  let x = 0;
  for (const s of series) {
    if (x > 0 && x + legendWidth(s.name) > PANEL_W) {
      rows++;
      x = 0;
    }
    x += legendWidth(s.name);
  }
  return rows;
}

function panelSvg(panel: ChartPanel, spec: ChartSpec, x0: number, top: number): string {
  const finite = panel.series.flatMap((s) => s.values.filter(Number.isFinite));
  const ticks = niceTicks(Math.max(0, ...finite));
  const yMax = ticks.at(-1) as number;
  const left = x0 + MARGIN.left;
  const legendTop = top - 12 - LEGEND_ROW * (legendRows(panel.series) - 1);
  const n = spec.xTicks.length;
  const xAt = (i: number) => left + (n === 1 ? PANEL_W / 2 : (PANEL_W * (i + 0.5)) / n);
  const yAt = (v: number) => top + PANEL_H - (v / yMax) * PANEL_H;
  const out: string[] = [`<g class="panel">`,
    `<text x="${left + PANEL_W / 2}" y="${legendTop - 24}" class="panel-title">${escapeXml(panel.title)}</text>`];
  for (const t of ticks) {
    const y = yAt(t).toFixed(1);
    out.push(`<line x1="${left}" x2="${left + PANEL_W}" y1="${y}" y2="${y}" class="grid"/>`,
      `<text x="${left - 8}" y="${y}" class="ytick">${tickText(t)}</text>`);
  }
  spec.xTicks.forEach((label, i) => {
    out.push(`<line x1="${xAt(i)}" x2="${xAt(i)}" y1="${top + PANEL_H}" y2="${top + PANEL_H + 5}" class="axis"/>`,
      `<text x="${xAt(i)}" y="${top + PANEL_H + 20}" class="xtick">${escapeXml(label)}</text>`);
  });
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + PANEL_H}" class="axis"/>`,
    `<line x1="${left}" x2="${left + PANEL_W}" y1="${top + PANEL_H}" y2="${top + PANEL_H}" class="axis"/>`,
    `<text x="${left + PANEL_W / 2}" y="${top + PANEL_H + 46}" class="axis-label">${escapeXml(spec.xLabel)}</text>`,
    `<text transform="translate(${left - 52} ${top + PANEL_H / 2}) rotate(-90)" class="axis-label">` +
      `${escapeXml(panel.yLabel)}</text>`);
  panel.series.forEach((s, k) => out.push(seriesSvg(s, k, xAt, yAt)));
  out.push(legendSvg(panel.series, left, legendTop), "</g>");
  return out.join("\n");
}

function seriesSvg(s: ChartSeries, k: number, xAt: (i: number) => number, yAt: (v: number) => number): string {
  const color = PALETTE[(s.color ?? k) % PALETTE.length];
  const segments: string[][] = [[]];
  const dots: string[] = [];
  s.values.forEach((v, i) => {
    if (!Number.isFinite(v)) {
      segments.push([]);
      return;
    }
    const point = `${xAt(i).toFixed(1)},${yAt(v).toFixed(1)}`;
    segments.at(-1)?.push(point);
    dots.push(`<circle cx="${xAt(i).toFixed(1)}" cy="${yAt(v).toFixed(1)}" r="3.5" fill="${color}">` +
      `<title>${escapeXml(s.name)}: ${tickText(v)}</title></circle>`);
  });
  const dash = s.dashed ? ` stroke-dasharray="6 4"` : "";
  const lines = segments.filter((p) => p.length > 1)
    .map((p) => `<polyline points="${p.join(" ")}" fill="none" stroke="${color}" stroke-width="2.5"${dash}/>`);
  return `<g class="series" data-name="${escapeXml(s.name)}">\n${[...lines, ...dots].join("\n")}\n</g>`;
}

function legendSvg(series: ChartSeries[], left: number, top: number): string {
  let x = left;
  let y = top;
  const items = series.map((s, k) => {
    if (x > left && x - left + legendWidth(s.name) > PANEL_W) {
      x = left;
      y += LEGEND_ROW;
    }
    const color = PALETTE[(s.color ?? k) % PALETTE.length];
    const dash = s.dashed ? ` stroke-dasharray="6 4"` : "";
    const item = `<line x1="${x}" x2="${x + 24}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="2.5"${dash}/>` +
      `<text x="${x + 30}" y="${y}" class="legend">${escapeXml(s.name)}</text>`;
    x += legendWidth(s.name);
    return item;
  });
  return `<g class="legend-box">${items.join("")}</g>`;
}

/**
 * Renders a chart as a standalone SVG document.
 *
 * @example
 *   const svg = renderChart({ title: "Qwen3-0.6B", xLabel: "concurrency", xTicks: ["1", "2"],
 *     panels: [{ title: "Output throughput", yLabel: "tok/s", series: [{ name: "us", values: [10, 18] }] }] });
 */
export function renderChart(spec: ChartSpec): string {
  const panelW = MARGIN.left + PANEL_W + MARGIN.right;
  const width = panelW * spec.panels.length + 16;
  const top = MARGIN.top + LEGEND_ROW * (Math.max(...spec.panels.map((p) => legendRows(p.series))) - 1);
  const height = top + PANEL_H + MARGIN.bottom;
  const style = `text{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;fill:#1f2937}` +
    `.title{font-size:18px;font-weight:600}.subtitle{font-size:12px;fill:#6b7280}` +
    `.panel-title{font-size:14px;font-weight:600;text-anchor:middle}` +
    `.ytick{font-size:11px;text-anchor:end;dominant-baseline:middle;fill:#4b5563}` +
    `.xtick{font-size:11px;text-anchor:middle;fill:#4b5563}.axis-label{font-size:12px;text-anchor:middle}` +
    `.legend{font-size:12px;dominant-baseline:middle}.grid{stroke:#e5e7eb;stroke-width:1}` +
    `.axis{stroke:#374151;stroke-width:1.2}`;
  const parts = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<style>${style}</style>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="16" y="26" class="title">${escapeXml(spec.title)}</text>`,
    spec.subtitle ? `<text x="16" y="44" class="subtitle">${escapeXml(spec.subtitle)}</text>` : "",
    ...spec.panels.map((panel, i) => panelSvg(panel, spec, 8 + i * panelW, top)),
    `</svg>`,
  ];
  return `${parts.filter((p) => p !== "").join("\n")}\n`;
}
