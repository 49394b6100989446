import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as mx from "../../mlx/index.ts";
import { type AttendOptions, attention } from "../../nn/cache.ts";
import { pagedAttention } from "./attention.ts";
import { PagedBatch } from "./batch.ts";

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

/** A flat batch of entries (table, numComputedTokens, numTokens), in order; `split` prefill chunks as decode rows. */
function batchOf(entries: [number[], number, number][], split = false): PagedBatch {
  let start = 0;
  const rows = entries.map(([, numComputedTokens, numTokens]) => {
    const row = { start, numTokens, numComputedTokens, seqLen: numComputedTokens + numTokens };
    start += numTokens;
    return row;
  });
  const M = Math.max(...entries.map(([t]) => t.length));
  const tables = entries.map(([t]) => [...t, ...new Array<number>(M - t.length).fill(0)]);
  return new PagedBatch(rows, tables, [0], BS, () => split);
}

/** Rows `[start, start + n)` of `[T, H, 1, D]` as one causal row `[1, H, n, D]`. */
function asRow(x: mx.Array, start: number, n: number): mx.Array {
  using s = mx.slice(x, [start, 0, 0, 0], [start + n, x.shape[1]!, 1, D]);
  return mx.transpose(s, [2, 1, 0, 3]);
}

/** Each entry's rows of `got` equal contiguous attention of its queries over its own keys. */
function expectEachAsAlone(got: mx.Array, q: mx.Array, entries: [number[], number, number][],
  { keyPool, valuePool, contiguous }: ReturnType<typeof setup>, opts: AttendOptions): void {
  let start = 0;
  for (const [table, first, n] of entries) {
    using qRow = asRow(q, start, n);
    using k = contiguous(keyPool, table, first + n);
    using v = contiguous(valuePool, table, first + n);
    using want = attention(qRow, k, v, first, opts);
    using gotRow = asRow(got, start, n);
    expect(maxDiff(gotRow, want)).toBeLessThan(1e-5);
    start += n;
  }
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

// Every attention path: "auto" (the CPU kernel for float32 on this build, the GPU kernel for decodes on a GPU
// build) and the MLX-ops reference path.
for (const path of ["auto", "reference"] as const) describe(`pagedAttention (${path}) over a flattened batch matches contiguous attention`, () => {
  const saved = process.env.VLLM_MLX_PAGED_ATTENTION;
  beforeAll(() => {
    if (path === "reference") process.env.VLLM_MLX_PAGED_ATTENTION = "reference";
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.VLLM_MLX_PAGED_ATTENTION;
    else process.env.VLLM_MLX_PAGED_ATTENTION = saved;
  });
  for (const [name, opts] of VARIANTS) {
    test(`prefill chunk starting mid-sequence (${name})`, () => {
      const table = [9, 2, 14];
      const { keyPool, valuePool, contiguous } = setup([table], 1);
      const start = 5;
      const L = 6; // positions 5..10
      using q = mx.normal([L, 2 * H, 1, D], "float32", mx.randomKey(7));
      using batch = batchOf([[table, start, L]]);
      using got = pagedAttention(q, keyPool, valuePool, batch, opts);
      using k = contiguous(keyPool, table, start + L);
      using v = contiguous(valuePool, table, start + L);
      using qRow = asRow(q, 0, L);
      using want = attention(qRow, k, v, start, opts);
      using gotRow = asRow(got, 0, L);
      expect(got.shape).toEqual([L, 2 * H, 1, D]);
      expect(maxDiff(gotRow, want)).toBeLessThan(1e-6);
    });

    test(`prefill chunks split into single-query rows attend as the chunks do (${name})`, () => {
      // a decode, a 6-token chunk at 5, a 3-token chunk at 0: one group of 10 single-query rows
      const entries: [number[], number, number][] = [[[3, 8], 4, 1], [[9, 2, 14], 5, 6], [[13], 0, 3]];
      const setupOf = setup(entries.map(([t]) => t), 5);
      const { keyPool, valuePool } = setupOf;
      const T = 10;
      using q = mx.normal([T, 2 * H, 1, D], "float32", mx.randomKey(13));
      using batch = batchOf(entries, true);
      expect(batch.groups.map((g) => [g.kind, g.numTokens, g.rows.map((r) => r.seqLen), g.oneSequence])).toEqual([
        ["decodes", T, [5, 6, 7, 8, 9, 10, 11, 1, 2, 3], false],
      ]);
      using got = pagedAttention(q, keyPool, valuePool, batch, opts);
      expectEachAsAlone(got, q, entries, setupOf, opts);
    });

    test(`a prefill chunk split alone, with pad rows of its last token, is one group of one table's rows (${name})`, () => {
      // a 7-token chunk at 6 over four blocks: 7 single-query rows sharing its table, then two pad rows repeating its
      // last token (as a GPU step pads 7 tokens to 8, 9 here to check the count): one group, one table
      const table = [9, 2, 14, 5];
      const entries: [number[], number, number][] = [[table, 6, 7], [table, 12, 1], [table, 12, 1]];
      const setupOf = setup(entries.map(([t]) => t), 21);
      using q = mx.normal([9, 2 * H, 1, D], "float32", mx.randomKey(22));
      using batch = batchOf(entries, true);
      expect(batch.groups.map((g) => [g.kind, g.rows.map((r) => r.seqLen), g.oneSequence])).toEqual([
        ["decodes", [7, 8, 9, 10, 11, 12, 13, 13, 13], true],
      ]);
      using got = pagedAttention(q, setupOf.keyPool, setupOf.valuePool, batch, opts);
      expectEachAsAlone(got, q, entries, setupOf, opts);
      // a one-token chunk split is one row: not a chunk's rows
      using single = batchOf([[[3], 2, 1]], true);
      expect(single.groups.map((g) => g.oneSequence)).toEqual([false]);
    });

    test(`decodes and prefill chunks in one batch (varlen queries), each as alone (${name})`, () => {
      // decode, decode, a 4-token chunk at 3, a decode, a 1-token chunk at 0: groups [d d] [p] [d] [p]
      const entries: [number[], number, number][] = [[[3], 1, 1], [[7, 1, 12], 10, 1], [[5, 6], 3, 4], [[11, 4], 7, 1], [[13], 0, 1]];
      const setupOf = setup(entries.map(([t]) => t), 3);
      const { keyPool, valuePool } = setupOf;
      const T = entries.reduce((n, [, , l]) => n + l, 0);
      using q = mx.normal([T, 2 * H, 1, D], "float32", mx.randomKey(11));
      using batch = batchOf(entries);
      expect(batch.groups.map((g) => [g.kind, g.numTokens])).toEqual([["decodes", 2], ["prefill", 4], ["decodes", 2]]);
      using got = pagedAttention(q, keyPool, valuePool, batch, opts);
      expect(got.shape).toEqual([T, 2 * H, 1, D]);
      expectEachAsAlone(got, q, entries, setupOf, opts);
    });
  }
});
