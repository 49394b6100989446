/**
 * The per-step batch description attention needs (explicit, never global): one flattened forward of T tokens,
 * each a row of its own, in runs that are the scheduled entries. Attention works on groups of runs: a run of
 * consecutive decodes (one query each) attends as one batch, a prefill chunk (L > 1 queries) as one causal row.
 * The group arrays are built once per forward and shared by every layer.
 */
import type * as mx from "../../mlx/index.ts";
import type { BatchRow } from "../runner/inputs.ts";
import { type Int32Part, packInt32 } from "./int32-pack.ts";

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
  /**
   * Its rows (two or more) share one block table: one sequence's rows, such as a prefill chunk split into
   * single-query rows with the step's pad rows (a prefix hit's step from idle). The CUDA kernel then reads each key
   * once for all of them (`PagedAttentionOptions.oneSequence`).
   */
  oneSequence: boolean;
}

/**
 * Whether a prefill chunk attends as single-query rows, one per token (each seeing keys up to its own position,
 * the causal mask), so that it joins the decodes' group and kernel instead of a dense path of its own.
 */
export type PrefillSplit = (row: BatchRow) => boolean;

const NEVER_SPLIT: PrefillSplit = () => false;

/**
 * `VLLM_MLX_STEP_INPUTS=separate` (read at load): a host array per step input and RoPE at a number for a one-token
 * step (two host scalars a layer inside MLX's rope), as before packing, to measure one against the other.
 */
export const SEPARATE_STEP_INPUTS = process.env.VLLM_MLX_STEP_INPUTS === "separate";

/**
 * The step's int32 inputs are views of one host array ({@link packInt32}): the slot mapping, the positions, each
 * group's block tables and KV lengths, and the caller's `extra` parts (the model runner's token ids). The batch
 * owns them.
 *
 * @example
 * const { rows, blockTables, slotMapping, positions } = inputs;
 * using batch = new PagedBatch(rows, blockTables, slotMapping, blockSize, prefillAsDecodes, positions);
 * const caches = model.layers.map((_, i) => new PagedLayerCache(pool, i, batch, batch.positions!));
 */
export class PagedBatch {
  readonly groups: BatchGroup[] = [];
  /** int32 `[T]`: pool slot of each token of the flat batch. */
  readonly slotMapping: mx.Array;
  /** int32 `[T]`: each token's position (its RoPE offset), when given. */
  readonly positions: mx.Array | null;
  /** The `extra` parts, in order. */
  readonly extra: mx.Array[];

  constructor(
    rows: readonly BatchRow[],
    blockTables: readonly (readonly number[])[],
    slotMapping: readonly number[],
    readonly blockSize: number,
    splitPrefill: PrefillSplit = NEVER_SPLIT,
    positions: readonly number[] | null = null,
    extra: readonly Int32Part[] = [],
  ) {
    [rows, blockTables] = splitRows(rows, blockTables, splitPrefill);
    const layouts: GroupLayout[] = [];
    let i = 0;
    while (i < rows.length) {
      let j = i + 1;
      if (rows[i]!.numTokens === 1) while (j < rows.length && rows[j]!.numTokens === 1) j++;
      layouts.push(this.#layout(rows.slice(i, j), blockTables.slice(i, j)));
      i = j;
    }
    const parts: Int32Part[] = [{ values: slotMapping }];
    if (positions) parts.push({ values: positions });
    for (const g of layouts) parts.push({ values: g.seqLens }, { values: g.tables, shape: [g.rows.length, g.width] });
    const arrays = packInt32([...parts, ...extra], SEPARATE_STEP_INPUTS);
    this.extra = arrays.splice(parts.length);
    this.slotMapping = arrays.shift()!;
    this.positions = positions ? arrays.shift()! : null;
    for (const g of layouts) {
      const [seqLens, tables] = arrays.splice(0, 2) as [mx.Array, mx.Array];
      this.groups.push({ kind: g.rows[0]!.numTokens === 1 ? "decodes" : "prefill", tokenStart: g.rows[0]!.start,
        numTokens: g.rows.reduce((n, r) => n + r.numTokens, 0), rows: g.rows, blockTables: tables, seqLens,
        contextLength: g.width * this.blockSize, masks: new Map(), oneSequence: oneTable(g) });
    }
  }

  #layout(rows: readonly BatchRow[], tables: readonly (readonly number[])[]): GroupLayout {
    const seqLens = rows.map((r) => r.seqLen);
    const width = Math.ceil(Math.max(...seqLens) / this.blockSize);
    return { rows, seqLens, width, tables: tables.flatMap((t) => t.slice(0, width)) };
  }

  dispose(): void {
    this.slotMapping.dispose();
    this.positions?.dispose();
    for (const a of this.extra) a.dispose();
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

/** Whether the group has two or more rows and every row's block table (cut to the group's width) is the first's. */
function oneTable({ rows, width, tables }: GroupLayout): boolean {
  if (rows.length < 2) return false;
  for (let r = 1; r < rows.length; r++) {
    for (let j = 0; j < width; j++) if (tables[r * width + j] !== tables[j]) return false;
  }
  return true;
}

/** A group's host side: its rows, KV lengths and block tables cut to `width` blocks (row-major). */
interface GroupLayout {
  rows: readonly BatchRow[];
  seqLens: number[];
  width: number;
  tables: number[];
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
