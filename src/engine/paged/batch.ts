/**
 * The per-step batch description attention needs (explicit, never global): one flattened forward of T tokens,
 * each a row of its own, in runs that are the scheduled entries. Attention works on groups of runs: a run of
 * consecutive decodes (one query each) attends as one batch, a prefill chunk (L > 1 queries) as one causal row.
 * The group arrays are built once per forward and shared by every layer.
 */
import * as mx from "../../mlx/index.ts";
import type { BatchRow } from "../runner/inputs.ts";

/** Consecutive entries attended together: `decodes` (one query each) or one `prefill` chunk. */
export interface BatchGroup {
  kind: "decodes" | "prefill";
  /** The group's first token in the flat batch, and its token count. */
  tokenStart: number;
  numTokens: number;
  /** Its entries. */
  rows: readonly BatchRow[];
  /** int32 `[n, blocks]`: the entries' block tables, cut to the group's longest. */
  blockTables: mx.Array;
  /** int32 `[n]`: each entry's KV length after the step. */
  seqLens: mx.Array;
  /** Keys gathered per entry (`blocks * blockSize`), for the MLX-ops path. */
  contextLength: number;
  /** The MLX-ops path's decode masks by sliding window ("none" for none), built once a step, shared by every layer. */
  masks: Map<number | "none", mx.Array>;
}

/**
 * Whether a prefill chunk attends as single-query rows, one per token (each seeing keys up to its own position,
 * the causal mask), so that it joins the decodes' group and kernel instead of a dense path of its own.
 */
export type PrefillSplit = (row: BatchRow) => boolean;

const NEVER_SPLIT: PrefillSplit = () => false;

/**
 * @example
 * using batch = new PagedBatch(inputs.rows, inputs.blockTables, slotMapping, blockSize, prefillAsDecodes);
 * const caches = model.layers.map((_, i) => new PagedLayerCache(pool, i, batch, positions));
 */
export class PagedBatch {
  readonly groups: BatchGroup[] = [];

  constructor(
    rows: readonly BatchRow[],
    blockTables: readonly (readonly number[])[],
    /** int32 `[T]`: pool slot of each token of the flat batch. */
    readonly slotMapping: mx.Array,
    readonly blockSize: number,
    splitPrefill: PrefillSplit = NEVER_SPLIT,
  ) {
    [rows, blockTables] = splitRows(rows, blockTables, splitPrefill);
    let i = 0;
    while (i < rows.length) {
      let j = i + 1;
      if (rows[i]!.numTokens === 1) while (j < rows.length && rows[j]!.numTokens === 1) j++;
      this.groups.push(this.#group(rows.slice(i, j), blockTables.slice(i, j)));
      i = j;
    }
  }

  #group(rows: readonly BatchRow[], tables: readonly (readonly number[])[]): BatchGroup {
    const kind = rows[0]!.numTokens === 1 ? "decodes" : "prefill";
    const lens = rows.map((r) => r.seqLen);
    const width = Math.ceil(Math.max(...lens) / this.blockSize);
    const flat = tables.flatMap((t) => t.slice(0, width));
    return {
      kind,
      tokenStart: rows[0]!.start,
      numTokens: rows.reduce((n, r) => n + r.numTokens, 0),
      rows,
      blockTables: mx.array(flat, { dtype: "int32", shape: [rows.length, width] }),
      seqLens: mx.array(lens, { dtype: "int32" }),
      contextLength: width * this.blockSize,
      masks: new Map(),
    };
  }

  dispose(): void {
    for (const g of this.groups) {
      g.blockTables.dispose();
      g.seqLens.dispose();
      for (const m of g.masks.values()) m.dispose();
    }
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Rows with each prefill chunk that `split` picks replaced by one single-query row per token (same block table). */
function splitRows(rows: readonly BatchRow[], tables: readonly (readonly number[])[], split: PrefillSplit):
  [readonly BatchRow[], readonly (readonly number[])[]] {
  if (!rows.some((r) => r.numTokens > 1 && split(r))) return [rows, tables];
  const outRows: BatchRow[] = [];
  const outTables: (readonly number[])[] = [];
  rows.forEach((r, i) => {
    if (r.numTokens === 1 || !split(r)) {
      outRows.push(r);
      outTables.push(tables[i]!);
      return;
    }
    for (let t = 0; t < r.numTokens; t++) {
      const numComputedTokens = r.numComputedTokens + t;
      outRows.push({ start: r.start + t, numTokens: 1, numComputedTokens, seqLen: numComputedTokens + 1 });
      outTables.push(tables[i]!);
    }
  });
  return [outRows, outTables];
}
