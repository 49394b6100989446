/** What each part returns, the suite's options, and the JSON + markdown figures. */

export type Form = "short" | "long";

export interface RunOptions {
  form: Form;
  /** A built binary to test instead of `bun src/cli/main.ts`. */
  binary?: string;
  log: (line: string) => void;
}

/** A hard invariant: the short form fails when one is not met. */
export interface Invariant {
  name: string;
  ok: boolean;
  detail: string;
}

export type Figure = number | string | boolean | null;

export interface PartResult {
  part: string;
  seconds: number;
  /** Measured values, reported, never asserted. */
  figures: Record<string, Figure>;
  invariants: Invariant[];
  /** Examples of breaches and anything worth reading next to the figures. */
  notes: string[];
}

/** `{ name, ok, detail }` with the detail only computed for the report. */
export function invariant(name: string, ok: boolean, detail: string): Invariant {
  return { name, ok, detail };
}

const format = (v: Figure) => (typeof v === "number" && !Number.isInteger(v) ? v.toFixed(3) : String(v));

/**
 * The markdown report: one table of figures per part, then every invariant with ✅/❌.
 *
 * @example
 *   await Bun.write("results.md", toMarkdown(results, { machine: "2-core Linux x86_64" }));
 */
export function toMarkdown(results: PartResult[], header: Record<string, string>): string {
  const lines = ["# Reliability figures", ""];
  for (const [key, value] of Object.entries(header)) lines.push(`- ${key}: ${value}`);
  for (const r of results) {
    lines.push("", `## ${r.part} (${r.seconds.toFixed(0)} s)`, "", "| figure | value |", "|---|---|");
    for (const [key, value] of Object.entries(r.figures)) lines.push(`| ${key} | ${format(value)} |`);
    lines.push("", "| invariant | ok | detail |", "|---|---|---|");
    for (const inv of r.invariants) lines.push(`| ${inv.name} | ${inv.ok ? "✅" : "❌"} | ${inv.detail.replaceAll("|", "\\|")} |`);
    if (r.notes.length > 0) lines.push("", ...r.notes.map((n) => `- ${n.replaceAll("\n", " ")}`));
  }
  return `${lines.join("\n")}\n`;
}

/** Every failed invariant, as `part: name (detail)`. */
export function failures(results: PartResult[]): string[] {
  return results.flatMap((r) => r.invariants.filter((i) => !i.ok).map((i) => `${r.part}: ${i.name} (${i.detail})`));
}
