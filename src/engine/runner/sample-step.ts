import * as mx from "../../mlx/index.ts";
import { type SampleResult, type SamplerRow, sample } from "../sampling/sampler.ts";
import { applyTokenBitmask } from "../sampling/token-bitmask.ts";

/** One sampled token with its logprobs, as host numbers. */
export interface SampledToken {
  token: number;
  logprob: number | null;
  top: { token: number; logprob: number }[] | null;
}

/**
 * Samples one token per sampler row (row i reads logits row `source[i]` of `logits` `[R, V]`) and queues the
 * sample together with `alsoEval` (the step's KV pools). The result is computing on return: read it with
 * `readSample` (which waits, for `alsoEval` too: MLX signals an evaluation's arrays when all of it is done), then
 * dispose it with `disposeSample`. `bitmask` (rows x ceil(V/32) int32 words, see token-bitmask.ts) masks the tokens
 * a row's grammar does not allow.
 *
 * @example
 * const r = sampleAsync(logits, [0], [row], pool.arrays());
 * const [t] = readSample(r);
 * disposeSample(r);
 */
export function sampleAsync(logits: mx.Array, source: readonly number[], rows: readonly SamplerRow[],
  alsoEval: readonly mx.Array[], bitmask: Int32Array | null = null): SampleResult {
  const identity = source.length === logits.shape[0] && source.every((s, i) => s === i);
  using idx = identity ? null : mx.array([...source], { dtype: "int32" });
  using picked = idx ? mx.take(logits, idx, 0) : null;
  // Grammar masks apply to the raw logits, before penalties, temperature and filters (as vLLM does).
  using masked = bitmask ? applyTokenBitmask(picked ?? logits, bitmask) : null;
  const r = sample(masked ?? picked ?? logits, rows);
  try {
    mx.asyncEval(...sampleArrays(r), ...alsoEval);
  } catch (e) {
    disposeSample(r);
    throw e;
  }
  return r;
}

export function disposeSample(r: SampleResult): void {
  for (const a of sampleArrays(r)) a.dispose();
}

/** The arrays a sample's numbers are read from (what evaluating it means). */
export function sampleArrays(r: SampleResult): mx.Array[] {
  return [r.tokens, r.logprobs, r.topIds, r.topLogprobs].filter((a): a is mx.Array => a !== null);
}

/** Waits for a queued sample and reads its numbers. */
export function readSample(r: SampleResult): SampledToken[] {
  const tokens = r.tokens.toList();
  const logprobs = r.logprobs ? r.logprobs.toList() : null;
  const n = r.topIds ? r.topIds.shape[1]! : 0;
  const topIds = r.topIds ? r.topIds.toList() : null;
  const topLps = r.topLogprobs ? r.topLogprobs.toList() : null;
  return tokens.map((token, i) => ({
    token,
    logprob: logprobs ? logprobs[i]! : null,
    top: topIds && topLps
      ? Array.from({ length: n }, (_, j) => ({ token: topIds[i * n + j]!, logprob: topLps[i * n + j]! }))
      : null,
  }));
}
