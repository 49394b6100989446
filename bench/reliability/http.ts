/** Requests with a deadline, the OpenAI error-shape check, a seeded RNG, percentiles and outcome tallies. */

/** Whether `text` is `{"error":{"message":string,"type":string,...}}`, OpenAI's error shape. */
export function isOpenAiError(text: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return false;
  }
  if (typeof value !== "object" || value === null) return false;
  const error = (value as { error?: unknown }).error;
  if (typeof error !== "object" || error === null) return false;
  const { message, type } = error as { message?: unknown; type?: unknown };
  return typeof message === "string" && typeof type === "string";
}

/** One request's outcome: its status (0 when none came), body, time, and what went wrong on the wire. */
export interface Outcome {
  status: number;
  body: string;
  ms: number;
  /** `timeout`: no complete answer before the deadline; `network`: the connection failed. */
  failure?: "timeout" | "network";
}

/**
 * `fetch` with a deadline on the whole exchange (headers and body).
 *
 * @example
 *   const { status, body } = await send(`${url}/v1/models`, {}, 10_000);
 */
export async function send(url: string, init: RequestInit, deadlineMs: number): Promise<Outcome> {
  const start = performance.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(deadlineMs) });
    const body = await res.text();
    return { status: res.status, body, ms: performance.now() - start };
  } catch (e) {
    const name = (e as Error).name;
    const failure = name === "TimeoutError" || name === "AbortError" ? "timeout" : "network";
    return { status: 0, body: String((e as Error).message), ms: performance.now() - start, failure };
  }
}

/** Counts of outcomes by status, with the invariant breaches a reliability run reports. */
export class Tally {
  requests = 0;
  readonly statuses: Record<string, number> = {};
  serverErrors = 0;
  unshapedErrors = 0;
  timeouts = 0;
  networkErrors = 0;
  /** A few examples of each breach, for the report. */
  readonly examples: string[] = [];

  add(label: string, outcome: Pick<Outcome, "status" | "body" | "failure">): void {
    this.requests++;
    const key = outcome.failure ?? String(outcome.status);
    this.statuses[key] = (this.statuses[key] ?? 0) + 1;
    if (outcome.failure === "timeout") this.#breach("timeout", label, outcome);
    else if (outcome.failure === "network") this.#breach("network", label, outcome);
    else if (outcome.status >= 500) this.#breach("5xx", label, outcome);
    else if (outcome.status >= 300 && !isOpenAiError(outcome.body)) this.#breach("unshaped", label, outcome);
  }

  #breach(kind: "timeout" | "network" | "5xx" | "unshaped", label: string, outcome: Pick<Outcome, "status" | "body">): void {
    if (kind === "timeout") this.timeouts++;
    if (kind === "network") this.networkErrors++;
    if (kind === "5xx") {
      this.serverErrors++;
      if (!isOpenAiError(outcome.body)) this.unshapedErrors++;
    }
    if (kind === "unshaped") this.unshapedErrors++;
    if (this.examples.length < 20) this.examples.push(`${kind} ${label}: ${outcome.status} ${outcome.body.slice(0, 160)}`);
  }
}

/** mulberry32: a small seeded PRNG, so every run sends the same cases. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The q-quantile (0..1) of `values` by nearest rank; NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at once. */
export async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** A chat body with a tiny completion. */
export function chatBody(content: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { messages: [{ role: "user", content }], max_tokens: 1, temperature: 0, ...extra };
}

/** POST JSON options. */
export function jsonPost(body: unknown): RequestInit {
  return { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}
