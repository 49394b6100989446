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
  /** `[T]`: each token's pool slot (block * blockSize + offset). */
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
    logitsIndices: [], decodeIndices: [] };
  entries.forEach((e, r) => {
    const { seq, numComputedTokens: first, numNewTokens: n } = e;
    const start = inputs.tokenIds.length;
    for (let p = first; p < first + n; p++) {
      inputs.tokenIds.push(seq.tokenIds[p]!);
      inputs.positions.push(p);
      inputs.slotMapping.push(slotOf(seq.blockTable, p, blockSize));
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
