import { describe, expect, test } from "bun:test";
import * as mx from "../../mlx/index.ts";
import { type AttendOptions, attention } from "../../nn/cache.ts";
import { type PagedBatch, pagedAttention } from "./attention.ts";

const BS = 4;
const H = 2;
const D = 8;
const NUM_BLOCKS = 16;

/** A pool filled with random K and V, and each sequence's contiguous copy read through its block table. */
function setup(tables: number[][], seed: number) {
  const keyPool = mx.normal([NUM_BLOCKS, BS, H, D], "float32", mx.randomKey(seed));
  const valuePool = mx.normal([NUM_BLOCKS, BS, H, D], "float32", mx.randomKey(seed + 1));
  const contiguous = (pool: mx.Array, table: number[], len: number) => {
    using idx = mx.array(table, { dtype: "int32" });
    using blocks = mx.take(pool, idx, 0);
    using flat = mx.reshape(blocks, [1, table.length * BS, H, D]);
    using cut = mx.slice(flat, [0, 0, 0, 0], [1, len, H, D]);
    return mx.transpose(cut, [0, 2, 1, 3]); // [1, H, len, D]
  };
  return { keyPool, valuePool, contiguous };
}

function batchOf(kind: PagedBatch["kind"], tables: number[][], numComputed: number[], seqLens: number[]): PagedBatch {
  const M = Math.max(...tables.map((t) => t.length));
  const padded = tables.flatMap((t) => [...t, ...new Array<number>(M - t.length).fill(0)]);
  return {
    kind,
    slotMapping: mx.array([0], { dtype: "int32" }),
    blockTables: mx.array(padded, { dtype: "int32", shape: [tables.length, M] }),
    numComputedTokens: numComputed,
    seqLens,
    seqLensArray: mx.array(seqLens, { dtype: "int32", shape: [seqLens.length, 1] }),
    blockSize: BS,
  };
}

function maxDiff(a: mx.Array, b: mx.Array): number {
  using d = mx.subtract(a, b);
  using ad = mx.abs(d);
  using m = mx.max(ad);
  return m.item();
}

const VARIANTS: [string, AttendOptions][] = [
  ["plain", { scale: D ** -0.5, slidingWindow: null, softcap: null }],
  ["sliding window 5", { scale: D ** -0.5, slidingWindow: 5, softcap: null }],
  ["soft-capped", { scale: D ** -0.5, slidingWindow: null, softcap: 2 }],
  ["soft-capped with window", { scale: D ** -0.5, slidingWindow: 5, softcap: 2 }],
];

describe("pagedAttention matches contiguous attention", () => {
  for (const [name, opts] of VARIANTS) {
    test(`prefill chunk starting mid-sequence (${name})`, () => {
      const table = [9, 2, 14];
      const { keyPool, valuePool, contiguous } = setup([table], 1);
      const start = 5;
      const L = 6; // positions 5..10
      using q = mx.normal([1, 2 * H, L, D], "float32", mx.randomKey(7));
      const batch = batchOf("prefill", [table], [start], [start + L]);
      using got = pagedAttention(q, keyPool, valuePool, batch, opts);
      using k = contiguous(keyPool, table, start + L);
      using v = contiguous(valuePool, table, start + L);
      using want = attention(q, k, v, start, opts);
      expect(got.shape).toEqual([1, 2 * H, L, D]);
      expect(maxDiff(got, want)).toBeLessThan(1e-6);
    });

    test(`batched decode with mixed lengths (${name})`, () => {
      const tables = [[3], [7, 1, 12], [5, 6]];
      const lens = [2, 11, 8];
      const { keyPool, valuePool, contiguous } = setup(tables, 3);
      using q = mx.normal([3, 2 * H, 1, D], "float32", mx.randomKey(11));
      const batch = batchOf("decode", tables, lens.map((l) => l - 1), lens);
      using got = pagedAttention(q, keyPool, valuePool, batch, opts);
      tables.forEach((table, b) => {
        using qb = mx.slice(q, [b, 0, 0, 0], [b + 1, 2 * H, 1, D]);
        using k = contiguous(keyPool, table, lens[b]!);
        using v = contiguous(valuePool, table, lens[b]!);
        using want = attention(qb, k, v, lens[b]! - 1, opts);
        using row = mx.slice(got, [b, 0, 0, 0], [b + 1, 2 * H, 1, D]);
        expect(maxDiff(row, want)).toBeLessThan(1e-5);
      });
    });
  }
});
