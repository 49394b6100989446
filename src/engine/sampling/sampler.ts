/**
 * Batched sampling with per-row parameters, applied vectorized: logit bias, repetition / presence /
 * frequency penalties, temperature, top-k, top-p and min-p, then greedy or seeded categorical draws.
 * Everything stays lazy: the caller evaluates the returned arrays when it needs the numbers.
 */
import * as mx from "../../mlx/index.ts";
import { hasLogitBias, isGreedy, logprobsCount, needsPenalties, NEUTRAL_SAMPLING as NEUTRAL, type SamplingParams } from "./params.ts";

/** What the sampler needs to know about one row (sequence) besides its parameters. */
export interface SamplerRow {
  params: SamplingParams;
  /** Token id -> how often it was generated so far. */
  outputCounts: ReadonlyMap<number, number>;
  /** Prompt token ids (repetition penalty covers them too). */
  promptTokens: ReadonlySet<number>;
  /** Decode step of this row, for seeded draws. */
  step: number;
}

export interface SampleResult {
  /** int32 [B] */
  tokens: mx.Array;
  /** float32 [B]: log-probability of each chosen token (when any row asked). */
  logprobs: mx.Array | null;
  /** int32 [B, n] / float32 [B, n]: the n most likely alternatives per row (n = max asked). */
  topIds: mx.Array | null;
  topLogprobs: mx.Array | null;
}

/** Builds padded [B, K] gather indices and per-row values from sparse per-row maps. */
function padded(rows: Map<number, number>[]): { idx: mx.Array; vals: mx.Array } {
  const K = Math.max(1, ...rows.map((r) => r.size));
  const idx = new Int32Array(rows.length * K);
  const vals = new Float32Array(rows.length * K);
  rows.forEach((r, b) => {
    const entries = [...r.entries()];
    for (let j = 0; j < K; j++) {
      // Pad with a repeat of the first entry (identical writes), or token 0 with a neutral value.
      const [id, v] = entries[j] ?? entries[0] ?? [0, Number.NaN];
      idx[b * K + j] = id;
      vals[b * K + j] = v;
    }
  });
  return { idx: mx.array(idx, { shape: [rows.length, K] }), vals: mx.array(vals, { shape: [rows.length, K] }) };
}

function applyLogitBias(x: mx.Array, rows: readonly SamplerRow[]): mx.Array {
  const { idx, vals } = padded(rows.map((r) => new Map(Object.entries(r.params.logitBias).map(([id, bias]) => [Number(id), bias]))));
  using _i = idx;
  using _v = vals;
  using g = mx.takeAlongAxis(x, idx, -1);
  using nan = mx.isnan(vals);
  using add = mx.where(nan, 0, vals);
  using ng = mx.add(g, add);
  return mx.putAlongAxis(x, idx, ng, -1);
}

function applyPenalties(x: mx.Array, rows: readonly SamplerRow[]): mx.Array {
  // Per row: every prompt or output token, with its output count (0 for prompt-only tokens).
  const seen = rows.map((r) => {
    const m = new Map<number, number>();
    if (needsPenalties(r.params)) {
      if ((r.params.repetitionPenalty ?? NEUTRAL.repetitionPenalty) !== 1) for (const t of r.promptTokens) m.set(t, 0);
      for (const [t, c] of r.outputCounts) m.set(t, c);
    }
    return m;
  });
  const { idx, vals: counts0 } = padded(seen);
  using _i = idx;
  using _c0 = counts0;
  using nanMask = mx.isnan(counts0);
  using counts = mx.where(nanMask, 0, counts0);
  const col = (f: (p: SamplingParams) => number) =>
    mx.array(rows.map((r) => f(r.params)), { dtype: "float32", shape: [rows.length, 1] });
  using rep = col((p) => p.repetitionPenalty ?? NEUTRAL.repetitionPenalty);
  using pres = col((p) => p.presencePenalty);
  using freq = col((p) => p.frequencyPenalty);
  using g = mx.takeAlongAxis(x, idx, -1);
  using pos = mx.greater(g, 0);
  using down = mx.divide(g, rep);
  using up = mx.multiply(g, rep);
  using repd = mx.where(pos, down, up);
  // Repetition applies only to real entries; padding rows keep their value.
  using g1 = mx.where(nanMask, g, repd);
  using present = mx.greater(counts, 0);
  using presF = mx.astype(present, "float32");
  using p1 = mx.multiply(pres, presF);
  using f1 = mx.multiply(freq, counts);
  using pen = mx.add(p1, f1);
  using g2 = mx.subtract(g1, pen);
  return mx.putAlongAxis(x, idx, g2, -1);
}

/** A PRNG key for a row: seeded rows are reproducible per (seed, step). */
function rowKey(row: SamplerRow): mx.Array | null {
  const seed = row.params.seed;
  if (seed === undefined) return null;
  return mx.randomKey((Math.imul(seed >>> 0, 0x9e3779b1) ^ row.step) >>> 0);
}

function sampleRows(x: mx.Array, rows: readonly SamplerRow[]): mx.Array {
  const B = rows.length;
  const V = x.shape[1]!;
  using temps = mx.array(rows.map((r) => (isGreedy(r.params) ? 1 : (r.params.temperature ?? NEUTRAL.temperature))), { dtype: "float32", shape: [B, 1] });
  using scaled = mx.divide(x, temps);
  const filtered = rows.some(({ params: p }) => {
    const topK = p.topK ?? NEUTRAL.topK;
    return (topK > 0 && topK < V) || (p.topP ?? NEUTRAL.topP) < 1 || (p.minP ?? NEUTRAL.minP) > 0;
  });
  using order = filtered ? mx.argsort(scaled, -1) : null; // ascending
  using space = order ? mx.takeAlongAxis(scaled, order, -1) : null;
  using masked = space ? filterSorted(space, rows, V) : null;
  const logits = masked ?? scaled;
  const seeded = rows.some((r) => r.params.seed !== undefined);
  let choice: mx.Array;
  if (!seeded) {
    choice = mx.categorical(logits, { axis: -1 });
  } else {
    const parts = rows.map((r, b) => {
      using row = mx.slice(logits, [b, 0], [b + 1, V]);
      using key = rowKey(r);
      return mx.categorical(row, key ? { axis: -1, key } : { axis: -1 });
    });
    choice = mx.concatenate(parts, 0);
    for (const p of parts) p.dispose();
  }
  if (!order) return choice;
  using c = choice;
  using c2 = mx.expandDims(c, [1]);
  using picked = mx.takeAlongAxis(order, c2, -1);
  return mx.reshape(picked, [B]);
}

/** Masks sorted (ascending) logits to each row's top-k, top-p and min-p set. */
function filterSorted(sorted: mx.Array, rows: readonly SamplerRow[], V: number): mx.Array {
  const B = rows.length;
  const vec = (f: (p: SamplingParams) => number) => mx.array(rows.map((r) => f(r.params)), { dtype: "float32", shape: [B, 1] });
  using positions = mx.arange(0, V, 1, "float32");
  using kFirst = vec(({ topK = NEUTRAL.topK }) => (topK > 0 && topK < V ? V - topK : 0));
  using keepK = mx.greaterEqual(positions, kFirst);
  using probs = mx.softmax(sorted, -1, true);
  using cum = mx.cumsum(probs, -1);
  using pLimit = vec(({ topP = NEUTRAL.topP }) => 1 - topP);
  using keepP0 = mx.greater(cum, pLimit);
  using topPOff = vec(({ topP = NEUTRAL.topP }) => (topP >= 1 ? 1 : 0));
  using pOff = mx.greater(topPOff, 0);
  // The most likely token always stays: with top_p below float32's step at 1 (1e-9), 1 - top_p rounds to 1 and the
  // cumulative sum may end just under it, which would mask every token.
  using best = mx.greaterEqual(positions, V - 1);
  using keepP1 = mx.logicalOr(keepP0, pOff);
  using keepP = mx.logicalOr(keepP1, best);
  using maxProb = mx.slice(probs, [0, V - 1], [B, V]);
  using minP = vec(({ minP = NEUTRAL.minP }) => minP);
  using floor = mx.multiply(maxProb, minP);
  using keepM = mx.greaterEqual(probs, floor);
  using k1 = mx.logicalAnd(keepK, keepP);
  using keep = mx.logicalAnd(k1, keepM);
  return mx.where(keep, sorted, -Infinity);
}

/**
 * Samples one token per row of `logits` ([B, V]).
 *
 * @example
 *   const { tokens } = sample(logits, [{ params: GREEDY, outputCounts: new Map(), promptTokens: new Set(), step: 0 }]);
 */
export function sample(logits: mx.Array, rows: readonly SamplerRow[]): SampleResult {
  if (logits.shape[0] !== rows.length) throw new RangeError(`logits have ${logits.shape[0]} rows, ${rows.length} given`);
  let x = mx.astype(logits, "float32"); // the same array where it is float32 already
  if (rows.some((r) => hasLogitBias(r.params))) x = swap(x, applyLogitBias(x, rows));
  if (rows.some((r) => needsPenalties(r.params))) x = swap(x, applyPenalties(x, rows));
  const anyGreedy = rows.some((r) => isGreedy(r.params));
  const allGreedy = rows.every((r) => isGreedy(r.params));
  let tokens: mx.Array;
  if (allGreedy) {
    tokens = mx.argmax(x, -1);
  } else {
    const drawn = sampleRows(x, rows);
    if (!anyGreedy) {
      tokens = drawn;
    } else {
      using d = drawn;
      using g = mx.argmax(x, -1);
      using mask = mx.array(rows.map((r) => isGreedy(r.params)), { dtype: "bool" });
      tokens = mx.where(mask, g, d);
    }
  }
  const n = Math.max(-1, ...rows.map((r) => logprobsCount(r.params) ?? -1));
  if (n < 0) {
    x.dispose();
    return { tokens, logprobs: null, topIds: null, topLogprobs: null };
  }
  using _x = x;
  return { tokens, ...logprobsOf(x, tokens, n) };
}

function logprobsOf(x: mx.Array, tokens: mx.Array, n: number) {
  const B = x.shape[0]!;
  using lse = mx.logsumexp(x, -1, true);
  using lp = mx.subtract(x, lse);
  using t2 = mx.reshape(tokens, [B, 1]);
  using chosen = mx.takeAlongAxis(lp, t2, -1);
  const logprobs = mx.reshape(chosen, [B]);
  if (n === 0) return { logprobs, topIds: null, topLogprobs: null };
  using neg = mx.negative(lp);
  using order = mx.argsort(neg, -1);
  const topIds = mx.slice(order, [0, 0], [B, n]);
  const topLogprobs = mx.takeAlongAxis(lp, topIds, -1);
  return { logprobs, topIds, topLogprobs };
}

function swap(old: mx.Array, next: mx.Array): mx.Array {
  old.dispose();
  return next;
}
