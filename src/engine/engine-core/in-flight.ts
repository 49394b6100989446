/** A step queued on the device whose tokens are not read yet (async scheduling), and what the next step takes from it. */
import * as mx from "../../mlx/index.ts";
import { PLACEHOLDER_TOKEN, SchedulerError, type SchedulerOutput, type Sequence } from "../core/index.ts";
import type { SampleResult, SamplerRow } from "../sampling/sampler.ts";
import type { RequestState } from "./requests.ts";

/** A launched step: scheduled, its forward and sample queued on the device. */
export interface InFlightStep {
  output: SchedulerOutput<RequestState>;
  /** The sequences that sample a token, in scheduled order: sampler row j is `emitting[j]`. */
  emitting: Sequence<RequestState>[];
  /** Null when no entry samples a token, or while the sample waits for grammar masks (`deferred`). */
  sample: SampleResult | null;
  /**
   * A constrained step launched ahead: its forward is built and queued, its logits and sampler rows wait here until
   * the previous step's tokens are read and the masks computed from them (EngineCore's `#sampleDeferred`).
   */
  deferred?: { logits: mx.Array; rows: SamplerRow[] };
}

/**
 * Whether `step` runs only prompts that all end in it (each samples its first token), as a step launched from idle
 * does when requests arrive together. The core then reads it before scheduling the next step instead of queueing
 * that step ahead: requests that arrived while it ran join the next step rather than the one after it (one step
 * sooner to their first token), and the ahead-queued step would only have decoded the tokens of this one.
 */
export function onlyEndingPrompts(step: InFlightStep): boolean {
  return step.output.scheduled.every((e) => e.isPrefill && e.emitsToken);
}

/**
 * Decode input ids `[D]` (integers) for `output`'s decode entries (scheduled order): the host id where it is known, else
 * the row of prev's device-side sample that produced it. Null when every id is known on the host.
 *
 * @example
 * using decodeTokens = pendingDecodeTokens(next.output, current);
 * runner.execute(next.output, decodeTokens);
 */
export function pendingDecodeTokens(output: SchedulerOutput<RequestState>, prev: InFlightStep): mx.Array | null {
  const decodes = output.scheduled.filter((e) => !e.isPrefill);
  if (decodes.length === 0) return null;
  const rowOf = new Map<Sequence<RequestState>, number>();
  prev.emitting.forEach((seq, j) => rowOf.set(seq, j));
  const host: number[] = [];
  const rows: number[] = [];
  for (const e of decodes) {
    const id = e.seq.tokenIds[e.numComputedTokens]!;
    const row = id === PLACEHOLDER_TOKEN ? rowOf.get(e.seq) : undefined;
    if (id === PLACEHOLDER_TOKEN && row === undefined) {
      throw new SchedulerError(`sequence ${e.seq.id}: pending input token with no queued sample`);
    }
    host.push(id === PLACEHOLDER_TOKEN ? 0 : id);
    rows.push(row ?? -1);
  }
  // A pending id always has a row (checked above), and a row implies prev has a sample.
  if (!prev.sample || rows.every((r) => r < 0)) return null;
  // Every id is prev's sample row for row, in order (steady decoding): the samples themselves (the sampler's
  // uint32, which the embedding takes as it is; a new handle, the caller disposes it).
  if (rows.length === prev.sample.tokens.shape[0] && rows.every((r, j) => r === j)) {
    return mx.reshape(prev.sample.tokens, [rows.length]);
  }
  using hostIds = mx.array(host, { dtype: "int32" });
  using rowIdx = mx.array(rows.map((r) => Math.max(r, 0)), { dtype: "int32" });
  using pending = mx.array(rows.map((r) => (r >= 0 ? 1 : 0)), { dtype: "bool" });
  using fromDevice = mx.take(prev.sample.tokens, rowIdx, 0);
  using asInt = mx.astype(fromDevice, "int32");
  return mx.where(pending, asInt, hostIds);
}
