/**
 * Host-side preparation of one forward's flat inputs from scheduled sequences (plain numbers, no MLX):
 * token ids, slot mapping, padded block tables, sequence lengths and RoPE offsets.
 */
import type { ScheduledSequence } from "../core/index.ts";

/** One forward pass: `B` rows of `L` new tokens each. */
export interface ForwardInputs {
  kind: "prefill" | "decode";
  B: number;
  L: number;
  /** Row-major `[B, L]`. */
  tokenIds: number[];
  /** `[B * L]`: block * blockSize + offset of each new token. */
  slotMapping: number[];
  /** `[B, maxBlocks]`, padded with block 0 (masked out by seqLens). */
  blockTables: number[][];
  /** Per row: KV positions already computed (the first new token's position, its RoPE offset). */
  numComputedTokens: number[];
  /** Per row: KV length after this forward. */
  seqLens: number[];
}

/** Slot of KV position `pos` of a sequence with `blockTable`. */
export function slotOf(blockTable: readonly number[], pos: number, blockSize: number): number {
  const block = blockTable[Math.floor(pos / blockSize)];
  if (block === undefined) throw new RangeError(`no block for KV position ${pos} (table of ${blockTable.length})`);
  return block * blockSize + (pos % blockSize);
}

/**
 * One prefill chunk: positions `[numComputedTokens, numComputedTokens + numNewTokens)` of one sequence.
 *
 * @example
 * const inputs = preparePrefill(entry, 16); // inputs.B === 1, inputs.L === entry.numNewTokens
 */
export function preparePrefill(entry: ScheduledSequence<unknown>, blockSize: number): ForwardInputs {
  const { seq, numComputedTokens: start, numNewTokens: L } = entry;
  const end = start + L;
  const slotMapping: number[] = [];
  for (let p = start; p < end; p++) slotMapping.push(slotOf(seq.blockTable, p, blockSize));
  return {
    kind: "prefill",
    B: 1,
    L,
    tokenIds: seq.tokenIds.slice(start, end),
    slotMapping,
    blockTables: [seq.blockTable.slice(0, Math.ceil(end / blockSize))],
    numComputedTokens: [start],
    seqLens: [end],
  };
}

/**
 * All decodes of a step as one `[B, 1]` forward: each row feeds its last token at position numComputedTokens.
 *
 * @example
 * const inputs = prepareDecode(output.scheduled.filter((e) => !e.isPrefill), 16);
 */
export function prepareDecode(entries: readonly ScheduledSequence<unknown>[], blockSize: number): ForwardInputs {
  const tables = entries.map((e) => e.seq.blockTable.slice(0, Math.floor(e.numComputedTokens / blockSize) + 1));
  const maxBlocks = Math.max(...tables.map((t) => t.length));
  return {
    kind: "decode",
    B: entries.length,
    L: 1,
    tokenIds: entries.map((e) => e.seq.tokenIds[e.numComputedTokens]!),
    slotMapping: entries.map((e) => slotOf(e.seq.blockTable, e.numComputedTokens, blockSize)),
    blockTables: tables.map((t) => [...t, ...new Array<number>(maxBlocks - t.length).fill(0)]),
    numComputedTokens: entries.map((e) => e.numComputedTokens),
    seqLens: entries.map((e) => e.numComputedTokens + 1),
  };
}
