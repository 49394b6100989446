/**
 * Load shapes: a fixed number of requests in flight (closed loop), or Poisson arrivals at a request rate
 * (open loop, as vLLM's `--request-rate`).
 */
import { seededRandom } from "./datasets.ts";

/** How requests are released. */
export type LoadShape = { kind: "concurrency"; concurrency: number } | { kind: "rate"; requestRate: number;
  /** Caps in-flight requests under a rate (default unlimited). */ maxConcurrency?: number };

/**
 * Runs `task(i)` for every item under the load shape; resolves with the results in item order.
 * `onDone` fires after each task (progress bars).
 *
 * @example
 *   const out = await runLoad(prompts, { kind: "concurrency", concurrency: 4 }, (p) => send(p));
 */
export async function runLoad<T, R>(
  items: readonly T[],
  shape: LoadShape,
  task: (item: T, index: number) => Promise<R>,
  options: { seed?: number; onDone?: (finished: number) => void } = {},
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let finished = 0;
  const run = async (i: number) => {
    results[i] = await task(items[i] as T, i);
    options.onDone?.(++finished);
  };
  if (shape.kind === "concurrency") {
    await closedLoop(items.length, Math.max(1, shape.concurrency), run);
  } else {
    await poissonArrivals(items.length, shape.requestRate, shape.maxConcurrency ?? Infinity, options.seed ?? 0, run);
  }
  return results;
}

async function closedLoop(count: number, concurrency: number, run: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await run(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Exponential inter-arrival gaps (seconds) with mean 1/rate; Infinity rate sends everything at once. */
export function poissonGaps(count: number, rate: number, seed: number): number[] {
  if (!(rate > 0)) throw new RangeError(`request rate must be positive (got ${rate})`);
  if (rate === Infinity) return new Array(count).fill(0);
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => -Math.log(1 - random()) / rate);
}

async function poissonArrivals(
  count: number,
  rate: number,
  maxConcurrency: number,
  seed: number,
  run: (i: number) => Promise<void>,
): Promise<void> {
  const gaps = poissonGaps(count, rate, seed);
  const pending = new Set<Promise<void>>();
  for (let i = 0; i < count; i++) {
    if (i > 0 && (gaps[i] as number) > 0) await Bun.sleep((gaps[i] as number) * 1000);
    while (pending.size >= maxConcurrency) await Promise.race(pending);
    const p: Promise<void> = run(i).finally(() => pending.delete(p));
    pending.add(p);
  }
  await Promise.all(pending);
}
