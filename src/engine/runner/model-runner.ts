/**
 * The model runner: turns a scheduled step into forwards over the paged KV pool. All decodes of a step run as
 * one batched `[B, 1]` forward; each prefill chunk runs as its own `[1, L]` forward.
 */
import * as mx from "../../mlx/index.ts";
import type { Model } from "../../models/decoder.ts";
import type { ScheduledSequence, SchedulerOutput } from "../core/index.ts";
import type { PagedBatch } from "../paged/attention.ts";
import type { PagedKvPool } from "../paged/kv-pool.ts";
import { PagedLayerCache } from "../paged/paged-cache.ts";
import { type ForwardInputs, prepareDecode, preparePrefill } from "./inputs.ts";

/**
 * @example
 * const runner = new ModelRunner(model, pool);
 * using logits = runner.execute(output); // [R, V]: one row per entry with emitsToken, in scheduled order
 */
export class ModelRunner {
  constructor(
    readonly model: Model,
    readonly pool: PagedKvPool,
  ) {}

  /**
   * Builds the step's forwards, all lazy (the pool writes are in place, so nothing needs evaluating between
   * them). `decodeTokens` (int32 `[D]`, one per decode entry in scheduled
   * order) replaces the decode rows' host token ids: a pipelined engine feeds the previous step's samples before
   * reading them. Returns lazy logits `[R, V]` for the entries that emit a token (null when none does; the pool
   * writes are then evaluated).
   */
  execute(output: SchedulerOutput<unknown>, decodeTokens: mx.Array | null = null): mx.Array | null {
    const bs = this.pool.spec.blockSize;
    const forwards: { entries: ScheduledSequence<unknown>[]; inputs: ForwardInputs }[] = [];
    const decodes = output.scheduled.filter((e) => !e.isPrefill);
    if (decodes.length > 0) forwards.push({ entries: decodes, inputs: prepareDecode(decodes, bs) });
    for (const e of output.scheduled) if (e.isPrefill) forwards.push({ entries: [e], inputs: preparePrefill(e, bs) });
    const rows = new Map<ScheduledSequence<unknown>, mx.Array>();
    try {
      forwards.forEach(({ entries, inputs }, i) => {
        const logits = this.forward(inputs, inputs.kind === "decode" ? decodeTokens : null); // [B, V]
        entries.forEach((e, b) => {
          if (e.emitsToken) rows.set(e, mx.slice(logits, [b, 0], [b + 1, logits.shape[1]!]));
        });
        // A forward that emits nothing is held only by the pool views, which the next forward replaces: queue
        // its KV writes now or they are never computed.
        if (i < forwards.length - 1 && !entries.some((e) => e.emitsToken)) mx.asyncEval(...this.pool.arrays());
        logits.dispose();
      });
      const ordered = output.scheduled.filter((e) => e.emitsToken).map((e) => rows.get(e)!);
      if (ordered.length === 0) {
        mx.evaluate(...this.pool.arrays());
        return null;
      }
      return ordered.length === 1 ? mx.reshape(ordered[0]!, ordered[0]!.shape) : mx.concatenate(ordered, 0);
    } finally {
      for (const r of rows.values()) r.dispose();
    }
  }

  /** One forward over the pool; returns lazy last-position logits `[B, V]`. `tokenIds` overrides inputs.tokenIds. */
  forward(inputs: ForwardInputs, tokenIds: mx.Array | null = null): mx.Array {
    const { B, L } = inputs;
    using tokens = tokenIds ? mx.reshape(tokenIds, [B, L]) : mx.array(inputs.tokenIds, { dtype: "int32", shape: [B, L] });
    using slotMapping = mx.array(inputs.slotMapping, { dtype: "int32" });
    const M = inputs.blockTables[0]!.length;
    using blockTables = mx.array(inputs.blockTables.flat(), { dtype: "int32", shape: [B, M] });
    // Decode steps always carry seqLens on the device: the batched mask and the paged kernel read it.
    using seqLensArray = inputs.kind === "decode" ? mx.array(inputs.seqLens, { dtype: "int32", shape: [B, 1] }) : null;
    using offsets = B > 1 ? mx.array(inputs.numComputedTokens, { dtype: "int32" }) : null;
    const batch: PagedBatch = {
      kind: inputs.kind,
      slotMapping,
      blockTables,
      numComputedTokens: inputs.numComputedTokens,
      seqLens: inputs.seqLens,
      seqLensArray,
      blockSize: this.pool.spec.blockSize,
    };
    const ropeOffset = offsets ?? inputs.numComputedTokens[0]!;
    const caches = this.model.layers.map((_, i) => new PagedLayerCache(this.pool, i, batch, ropeOffset));
    using logits = this.model.forward(tokens, caches, { lastOnly: true }); // [B, 1, V]
    return mx.reshape(logits, [B, logits.shape[2]!]);
  }
}
