/**
 * bench/serve-ttft.ts's arithmetic: a request's TTFT split by the server's trace marks (src/engine/trace.ts) into
 * phases, medians per phase over requests, and one burst's step timeline.
 */
import type { TraceMark } from "../src/engine/trace.ts";

/** Client-side epoch times of one request. */
export interface RequestTimes {
  id: string;
  sent: number;
  first: number;
}

/** The worker's mark after each step: `t0` when it began, `t1` when it returned its tokens (posted next). */
export interface StepMark extends TraceMark {
  t0: number;
  t1: number;
  n: number;
  emitted: number;
  first: string[];
  waiting: number;
  running: number;
}

/** The phases, in order: each is the time from the previous mark to this one. */
const PHASES = [
  ["net in", "http.in"],
  ["parse+validate", "gen.submit"],
  ["template+tokenize", "eng.prepared"],
  ["to core add", "eng.add"],
  ["to worker", "w.add"],
  ["until a step starts", "step.start"],
  ["steps to 1st token", "step.end"],
  ["back to HTTP thread", "eng.out"],
  ["tokens until text", "eng.text"],
  ["route+SSE+net out", "client.first"],
] as const;

const median = (xs: number[]) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Every mark of one request by name (HTTP marks carry its id; core marks its `id#n` core id), with its steps. */
function requestMarks(req: RequestTimes, marks: readonly TraceMark[], steps: readonly StepMark[]): Map<string, number> | null {
  const at = new Map<string, number>([["client.sent", req.sent], ["client.first", req.first]]);
  let coreId: string | null = null;
  for (const m of marks) {
    if (m.id === null || !(m.id === req.id || m.id.startsWith(`${req.id}#`))) continue;
    if (!at.has(m.ev)) at.set(m.ev, m.t);
    if (m.ev === "eng.text") at.set("text.tokens", m.tokens as number);
    if (m.id !== req.id) coreId = m.id;
  }
  const wAdd = at.get("w.add");
  const end = coreId === null ? undefined : steps.find((s) => s.first.includes(coreId!));
  if (wAdd === undefined || !end) return null;
  const start = steps.find((s) => s.t0 >= wAdd)!;
  at.set("step.start", start.t0);
  at.set("step.end", end.t1);
  at.set("steps", end.n - start.n + 1);
  return at;
}

/**
 * Medians (and means) per phase over `requests`, and of the whole TTFT, as a text table.
 *
 * @example
 *   console.log(phaseTable("c=8", times, marks, steps));
 */
export function phaseTable(label: string, requests: readonly RequestTimes[], marks: readonly TraceMark[], steps: readonly StepMark[]): string {
  const rows = requests.map((r) => requestMarks(r, marks, steps)).filter((m) => m !== null);
  const out = [`${label}: ${rows.length} of ${requests.length} requests traced; ms, median (mean)`];
  let prev = "client.sent";
  for (const [name, mark] of PHASES) {
    const xs = rows.map((m) => m.get(mark)! - m.get(prev)!);
    out.push(`  ${name.padEnd(22)} ${median(xs).toFixed(2).padStart(8)} (${mean(xs).toFixed(2)})`);
    prev = mark;
  }
  const ttft = requests.map((r) => r.first - r.sent);
  const ks = rows.map((m) => m.get("steps")!);
  out.push(`  ${"TTFT (client)".padEnd(22)} ${median(ttft).toFixed(2).padStart(8)} (${mean(ttft).toFixed(2)}); p99 ${Math.max(...ttft).toFixed(2)}`);
  out.push(`  steps from pick-up to 1st token: median ${median(ks)}, max ${Math.max(...ks)}`);
  const texts = rows.map((m) => m.get("text.tokens")!);
  out.push(`  tokens until the first text: median ${median(texts)}, max ${Math.max(...texts)}`);
  return out.join("\n");
}

/** The last burst: when each request reached the worker, and each step from then until all had a token. */
export function timeline(requests: readonly RequestTimes[], marks: readonly TraceMark[], steps: readonly StepMark[]): string {
  const origin = Math.min(...requests.map((r) => r.sent));
  const rel = (t: number) => (t - origin).toFixed(1).padStart(7);
  const lines = ["timeline of the last burst (ms from the first send):"];
  const ids = new Set(requests.map((r) => r.id));
  const owns = (m: TraceMark) => m.id !== null && ids.has(m.id.split("#")[0]!);
  const events = marks.filter((m) => owns(m) && ["http.in", "eng.add", "w.add", "eng.text"].includes(m.ev));
  const last = Math.max(...requests.map((r) => r.first));
  for (const s of steps) if (s.t >= origin && s.t0 <= last) events.push(s);
  events.sort((a, b) => (a.ev === "w.step" ? (a as StepMark).t0 : a.t) - (b.ev === "w.step" ? (b as StepMark).t0 : b.t));
  for (const m of events) {
    if (m.ev !== "w.step") lines.push(`  ${rel(m.t)} ${m.ev.padEnd(9)} ${m.id}`);
    else {
      const s = m as StepMark;
      lines.push(`  ${rel(s.t0)} step ${s.n} ${(s.t1 - s.t0).toFixed(1)} ms: ${s.emitted} tokens, first for ${s.first.length}; ` +
        `after it waiting ${s.waiting}, running ${s.running}`);
    }
  }
  return lines.join("\n");
}
