/**
 * The model runner: turns a scheduled step into ONE forward over the paged KV pool. Every scheduled token,
 * decodes and prefill chunks alike, is a row of a flattened `[T, 1]` batch with its own position and KV slot;
 * logits are computed only for the last token of each entry that samples.
 */
import * as mx from "../../mlx/index.ts";
import type { Model } from "../../models/decoder.ts";
import type { ScheduledSequence, SchedulerOutput } from "../core/index.ts";
import type { MultimodalStage } from "../multimodal/mm-stage.ts";
import { prefillAsDecodes } from "../paged/attention.ts";
import { PagedBatch, SEPARATE_STEP_INPUTS } from "../paged/batch.ts";
import type { PagedKvPool } from "../paged/kv-pool.ts";
import { PagedLayerCache } from "../paged/paged-cache.ts";
import { paddedSize, padRows, prepareStep, type StepInputs } from "./inputs.ts";

/**
 * @example
 * const runner = new ModelRunner(model, pool);
 * using logits = runner.execute(output); // [R, V]: one row per entry with emitsToken, in scheduled order
 */
export class ModelRunner {
  constructor(
    readonly model: Model,
    readonly pool: PagedKvPool,
    /** A VLM's encoder stage: input embeddings, M-RoPE positions and deepstack rows for steps with media. */
    readonly mm: MultimodalStage | null = null,
    /** Pad each step's tokens to a bucket ({@link paddedSize}): backends that compile per shape see few shapes. */
    readonly padSteps = false,
  ) {}

  /**
   * Builds the step's forward, lazily. `decodeTokens` (integer `[D]`, one per decode entry in scheduled order)
   * replaces the decode entries' host token ids: a pipelined engine feeds the previous step's samples before
   * reading them. Returns lazy logits `[R, V]` for the entries that emit a token (null when none does; the pool
   * writes are then evaluated). With `queueEvery`, the forward is queued every that many layers as it is built
   * (the decoder's `queueEvery`).
   */
  execute(output: SchedulerOutput<unknown>, decodeTokens: mx.Array | null = null, queueEvery = 0): mx.Array | null {
    if (output.scheduled.length === 0) return null;
    const inputs = prepareStep(output.scheduled, this.pool.spec.blockSize);
    // A VLM's media rows are per scheduled token: its steps keep their size.
    if (this.padSteps && !this.mm) padRows(inputs, paddedSize(inputs.tokenIds.length));
    const emits = inputs.logitsIndices.length > 0;
    // A step that samples nothing still runs its forward for the KV writes; one row keeps the head's work small.
    const rows = emits ? inputs.logitsIndices : [inputs.tokenIds.length - 1];
    using logits = this.#forward(output.scheduled, inputs, rows, decodeTokens, queueEvery); // [R, 1, V]
    if (!emits) {
      mx.evaluate(...this.pool.arrays());
      return null;
    }
    return mx.reshape(logits, [rows.length, logits.shape[2]!]);
  }

  #forward(entries: readonly ScheduledSequence<unknown>[], inputs: StepInputs, logitsRows: number[], decodeTokens: mx.Array | null,
    queueEvery: number): mx.Array {
    const T = inputs.tokenIds.length;
    // A step of decodes alone, unpadded: the device ids are the tokens.
    const deviceIds = decodeTokens !== null && decodeTokens.shape[0] === T && inputs.decodeIndices.every((t, j) => t === j);
    // Every token samples (decodes, no padding): the head takes all rows as they are.
    const allRows = logitsRows.length === T && logitsRows.every((r, i) => r === i);
    // The host ids, where each id is taken from (mixed steps) and the head's rows go in the batch's host array.
    const extra = [deviceIds ? null : inputs.tokenIds, decodeTokens && !deviceIds ? pickIndices(inputs) : null,
      allRows ? null : logitsRows];
    // Positions as a device array even for one token: RoPE given a number makes a host scalar of it (two a layer).
    const positions = SEPARATE_STEP_INPUTS && T === 1 ? null : inputs.positions;
    const { rows: entryRows, blockTables, slotMapping } = inputs;
    const blockSize = this.pool.spec.blockSize;
    using batch = new PagedBatch(entryRows, blockTables, slotMapping, blockSize, prefillAsDecodes, positions,
      extra.filter((v) => v !== null).map((values) => ({ values })));
    const views = batch.extra.slice();
    const [hostIds, pick, rows] = extra.map((v) => (v === null ? null : views.shift()!));
    using tokens = this.#tokens(T, hostIds ?? null, pick ?? null, decodeTokens); // [T, 1]
    const ropeOffset = batch.positions ?? inputs.positions[0]!;
    const caches = this.model.layers.map((_, i) => new PagedLayerCache(this.pool, i, batch, ropeOffset));
    using media = this.mm?.stepOptions(entries, inputs, tokens) ?? null; // null on a text-only step
    return this.model.forward(tokens, caches, { ...media?.options, ...(rows ? { logitsRows: rows } : {}), queueEvery });
  }

  /**
   * Token ids `[T, 1]`: the host ids (`[T]`), the device ids alone (a step of decodes), or the host ids with each
   * decode entry's taken from `decodeTokens` (`[T + D]` indices `pick`).
   */
  #tokens(T: number, hostIds: mx.Array | null, pick: mx.Array | null, decodeTokens: mx.Array | null): mx.Array {
    if (!hostIds) return mx.reshape(decodeTokens!, [T, 1]);
    if (!decodeTokens || !pick) return mx.reshape(hostIds, [T, 1]);
    using device = decodeTokens.dtype === "int32" ? null : mx.astype(decodeTokens, "int32"); // a sampler's uint32
    using both = mx.concatenate([hostIds, device ?? decodeTokens], 0); // [T + D]
    using picked = mx.take(both, pick, 0);
    return mx.reshape(picked, [T, 1]);
  }
}

/** `[T]` indices into the host ids then the decode ids: each decode entry's from the device, pads repeating theirs. */
function pickIndices(inputs: StepInputs): number[] {
  const T = inputs.tokenIds.length;
  const pick = Array.from({ length: T }, (_, t) => t);
  inputs.decodeIndices.forEach((t, j) => (pick[t] = T + j));
  const src = inputs.padSource;
  if (src !== null) for (let t = src + 1; t < T; t++) pick[t] = pick[src]!;
  return pick;
}
