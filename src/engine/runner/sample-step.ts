import * as mx from "../../mlx/index.ts";
import { type SampleResult, type SamplerRow, sample } from "../sampling/sampler.ts";

/** One sampled token with its logprobs, as host numbers. */
export interface SampledToken {
  token: number;
  logprob: number | null;
  top: { token: number; logprob: number }[] | null;
}

/**
 * Samples one token per sampler row (row i reads logits row `source[i]` of `logits` `[R, V]`), queues the
 * sample together with `alsoEval` (the step's KV pools) and reads the numbers back.
 *
 * @example
 * const [t] = sampleAndRead(logits, [0], [row], pool.arrays());
 */
export function sampleAndRead(logits: mx.Array, source: readonly number[], rows: readonly SamplerRow[],
  alsoEval: readonly mx.Array[]): SampledToken[] {
  const identity = source.length === logits.shape[0] && source.every((s, i) => s === i);
  using idx = identity ? null : mx.array([...source], { dtype: "int32" });
  using picked = idx ? mx.take(logits, idx, 0) : null;
  const r = sample(picked ?? logits, rows);
  try {
    const outs = [r.tokens, r.logprobs, r.topIds, r.topLogprobs].filter((a): a is mx.Array => a !== null);
    mx.asyncEval(...outs, ...alsoEval);
    return read(r);
  } finally {
    r.tokens.dispose();
    r.logprobs?.dispose();
    r.topIds?.dispose();
    r.topLogprobs?.dispose();
  }
}

function read(r: SampleResult): SampledToken[] {
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
