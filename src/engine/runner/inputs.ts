/**
 * Host-side preparation of one step's flat inputs from scheduled sequences (plain numbers, no MLX). A step is
 * one forward over every scheduled token, flattened: T tokens, each a row of its own (`[T, 1]`), with its own
 * position and KV slot; the scheduled entries (prefill chunks and decodes alike) are contiguous runs of them.
 */
import type { ScheduledSequence } from "../core/index.ts";

/** One scheduled entry in the flat batch: tokens `[start, start + numTokens)`, KV positions from numComputedTokens. */
export interface BatchRow {
  start: number;
  /** Its query length: a prefill chunk's tokens, or 1 for a decode. */
  numTokens: number;
  /** KV positions already computed (the first token's position). */
  numComputedTokens: number;
  /** KV length after this step. */
  seqLen: number;
}

/** One step's forward inputs. */
export interface StepInputs {
  /** `[T]`: the new tokens, entry after entry in scheduled order. */
  tokenIds: number[];
  /** `[T]`: each token's position in its sequence (its RoPE position). */
  positions: number[];
  /** `[T]`: each token's pool slot (block * blockSize + offset); -1 (no write) where the prefix cache holds its KV. */
  slotMapping: number[];
  /** `[T]`: the entry (row of `blockTables`) each token belongs to. */
  tokenRows: number[];
  /** One per scheduled entry, in scheduled order. */
  rows: BatchRow[];
  /** `[R, maxBlocks]`: each entry's block table up to its seqLen, padded with block 0 (masked by seqLen). */
  blockTables: number[][];
  /** Flat index of the last token of each entry that samples, in scheduled order. */
  logitsIndices: number[];
  /** Flat index of each decode entry's token, in scheduled order (a pipelined engine feeds them from the device). */
  decodeIndices: number[];
  /** Tokens past the scheduled ones (see {@link padRows}): each repeats this flat index. */
  padSource: number | null;
}

/** The largest step {@link paddedSize} pads (larger ones keep their size, as vLLM's CUDA-graph sizes stop at 512). */
export const MAX_PADDED_TOKENS = 512;

/**
 * The bucket a step of `numTokens` tokens is padded to: 1, 2, 4, then multiples of 8 up to MAX_PADDED_TOKENS
 * (vLLM's CUDA-graph capture sizes), so a backend that compiles per shape sees a bounded set of step shapes.
 *
 * @example
 * [1, 3, 5, 9, 600].map((n) => paddedSize(n)) // [1, 4, 8, 16, 600]
 */
export function paddedSize(numTokens: number): number {
  if (numTokens > MAX_PADDED_TOKENS) return numTokens;
  if (numTokens <= 4) return numTokens <= 1 ? 1 : numTokens <= 2 ? 2 : 4;
  return Math.ceil(numTokens / 8) * 8;
}

/**
 * Pads a step to `size` tokens by repeating its last token as rows of their own: the same position, slot and
 * block table, so the repeats write the very K/V that token writes and attend as it does. Nothing samples them.
 */
export function padRows(inputs: StepInputs, size: number): void {
  const last = inputs.tokenIds.length - 1;
  const row = inputs.rows[inputs.tokenRows[last]!]!;
  if (size <= last + 1) return;
  inputs.padSource = last;
  for (let t = last + 1; t < size; t++) {
    inputs.tokenIds.push(inputs.tokenIds[last]!);
    inputs.positions.push(inputs.positions[last]!);
    inputs.slotMapping.push(inputs.slotMapping[last]!);
    inputs.tokenRows.push(inputs.rows.length);
    inputs.rows.push({ start: t, numTokens: 1, numComputedTokens: row.seqLen - 1, seqLen: row.seqLen });
    inputs.blockTables.push(inputs.blockTables[inputs.tokenRows[last]!]!);
  }
}

/** Slot of KV position `pos` of a sequence with `blockTable`. */
export function slotOf(blockTable: readonly number[], pos: number, blockSize: number): number {
  const block = blockTable[Math.floor(pos / blockSize)];
  if (block === undefined) throw new RangeError(`no block for KV position ${pos} (table of ${blockTable.length})`);
  return block * blockSize + (pos % blockSize);
}

/**
 * Flattens a step's entries (decodes and prefill chunks, in scheduled order) into one forward's inputs.
 *
 * @example
 * const inputs = prepareStep(output.scheduled, 16);
 * inputs.tokenIds.length === output.numScheduledTokens;
 */
export function prepareStep(entries: readonly ScheduledSequence<unknown>[], blockSize: number): StepInputs {
  const inputs: StepInputs = { tokenIds: [], positions: [], slotMapping: [], tokenRows: [], rows: [], blockTables: [],
    logitsIndices: [], decodeIndices: [], padSource: null };
  entries.forEach((e, r) => {
    const { seq, numComputedTokens: first, numNewTokens: n } = e;
    const start = inputs.tokenIds.length;
    for (let p = first; p < first + n; p++) {
      inputs.tokenIds.push(seq.tokenIds[p]!);
      inputs.positions.push(p);
      // A fully cached prompt's last token runs for its logits alone: its KV is in a shared block already.
      inputs.slotMapping.push(p < seq.numCachedTokens ? -1 : slotOf(seq.blockTable, p, blockSize));
      inputs.tokenRows.push(r);
    }
    inputs.rows.push({ start, numTokens: n, numComputedTokens: first, seqLen: first + n });
    inputs.blockTables.push(seq.blockTable.slice(0, Math.ceil((first + n) / blockSize)));
    if (e.emitsToken) inputs.logitsIndices.push(start + n - 1);
    if (!e.isPrefill) inputs.decodeIndices.push(start);
  });
  const width = Math.max(...inputs.blockTables.map((t) => t.length));
  inputs.blockTables = inputs.blockTables.map((t) => [...t, ...new Array<number>(width - t.length).fill(0)]);
  return inputs;
}
