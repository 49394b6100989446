import { describe, expect, test } from "bun:test";
import * as mx from "../../mlx/index.ts";
import { expectBitEqual } from "../../mlx/ops/fused-testing.ts";
import type { LayerCache } from "../../nn/cache.ts";
import type { DecoderModel } from "../../models/decoder.ts";
import { type TinyFamily, tinyModel } from "../runner/testing.ts";
import { PagedBatch } from "./batch.ts";
import { PagedKvPool } from "./kv-pool.ts";
import { PagedLayerCache } from "./paged-cache.ts";

const BS = 4;
const models = new Map<string, DecoderModel>();

async function modelOf(family: TinyFamily, dtype: mx.Dtype): Promise<DecoderModel> {
  const key = `${family}/${dtype}`;
  if (!models.has(key)) models.set(key, await tinyModel(family, { seed: 3, dtype }));
  return models.get(key)!;
}

/** Two pools with the same random history: `len[b]` keys and values of row b in its blocks. */
function pools(model: DecoderModel, dtype: mx.Dtype, tables: number[][], lens: number[]): [PagedKvPool, PagedKvPool] {
  const c = model.spec.config;
  const spec = { numLayers: 1, numBlocks: 24, blockSize: BS, numKvHeads: c.numKeyValueHeads, headDim: c.headDim, dtype };
  const slots = tables.flatMap((t, b) => Array.from({ length: lens[b]! }, (_, p) => t[Math.floor(p / BS)]! * BS + (p % BS)));
  using s = mx.array(slots, { dtype: "int32" });
  using k = mx.normal([slots.length, spec.numKvHeads, spec.headDim], dtype, mx.randomKey(11));
  using v = mx.normal([slots.length, spec.numKvHeads, spec.headDim], dtype, mx.randomKey(12));
  const both = [new PagedKvPool(spec), new PagedKvPool(spec)] as [PagedKvPool, PagedKvPool];
  for (const p of both) {
    p.write(0, k, v, s);
    mx.evaluate(...p.arrays());
  }
  return both;
}

/**
 * One decode step of `tables.length` rows (row b at position lens[b]) through layer 0's attention: the fused
 * block (`attendBlock`) against the calls it replaces (a cache without it), bit for bit, output and pools.
 */
async function expectSameStep(family: TinyFamily, dtype: mx.Dtype, tables: number[][], lens: number[],
  numberOffset = false): Promise<void> {
  const model = await modelOf(family, dtype);
  const [fusedPool, plainPool] = pools(model, dtype, tables, lens);
  const T = tables.length;
  const rows = lens.map((n, b) => ({ start: b, numTokens: 1, numComputedTokens: n, seqLen: n + 1 }));
  const M = Math.max(...rows.map((r) => Math.ceil(r.seqLen / BS)));
  const padded = tables.map((t) => [...t, ...new Array<number>(M).fill(0)].slice(0, M));
  const slots = rows.map((r, b) => tables[b]![Math.floor(r.numComputedTokens / BS)]! * BS + (r.numComputedTokens % BS));
  // RoPE at the batch's positions (the engine's way), or at a number for one row (a contiguous cache's).
  using batch = new PagedBatch(rows, padded, slots, BS, undefined, numberOffset ? null : lens);
  const offset = batch.positions ?? lens[0]!;
  const fused = new PagedLayerCache(fusedPool, 0, batch, offset);
  const inner = new PagedLayerCache(plainPool, 0, batch, offset);
  const plain: LayerCache = { ropeOffset: offset, attend: (q, k, v, o) => inner.attend(q, k, v, o) };
  const layer = model.layers[0]!;
  using x = mx.normal([T, 1, model.spec.config.hiddenSize], dtype, mx.randomKey(5));
  let calls = 0;
  const probe: LayerCache = { ropeOffset: offset, attend: () => { throw new Error("attend"); },
    attendBlock: (...a) => (calls++, fused.attendBlock(...a)) };
  using got = layer.attention.forward(x, probe);
  using want = layer.attention.forward(x, plain);
  expect(calls).toBe(1);
  expectBitEqual(got, want);
  for (const [a, b] of [[fusedPool.keys(0), plainPool.keys(0)], [fusedPool.values(0), plainPool.values(0)]]) {
    mx.evaluate(a!, b!);
    expectBitEqual(a!, b!);
  }
  fusedPool.dispose();
  plainPool.dispose();
}

describe("PagedLayerCache.attendBlock equals the calls it replaces", () => {
  test("one row, bfloat16 (MLX ops, keys cut to the row)", async () => {
    await expectSameStep("qwen3", "bfloat16", [[3, 7, 1]], [9]);
    await expectSameStep("qwen3", "bfloat16", [[3, 7, 1]], [9], true);
  });
  test("three rows, bfloat16 (MLX ops under the step's mask)", async () => {
    await expectSameStep("llama", "bfloat16", [[2, 5], [6], [8, 9, 10]], [5, 1, 10]);
  });
  test("two rows and one row, float32 (the CPU kernel)", async () => {
    await expectSameStep("qwen3", "float32", [[2, 5], [6, 11]], [7, 5]);
    await expectSameStep("qwen3", "float32", [[4, 1, 2, 3, 5, 6]], [21]);
  });
  test("sliding windows past the window, bfloat16, one row and two", async () => {
    await expectSameStep("gemma3_text", "bfloat16", [[4, 1, 2, 3, 5, 6]], [21]);
    await expectSameStep("gemma3_text", "bfloat16", [[4, 1, 2, 3, 5, 6], [7, 8]], [21, 6]);
  });
  test("VLLM_MLX_PAGED_ATTENTION=reference: MLX ops for float32 too", async () => {
    process.env.VLLM_MLX_PAGED_ATTENTION = "reference";
    try {
      await expectSameStep("qwen3", "float32", [[2, 5], [6, 11]], [7, 5]);
      await expectSameStep("qwen3", "float32", [[2, 5]], [7]);
    } finally {
      delete process.env.VLLM_MLX_PAGED_ATTENTION;
    }
  });
});

test("a soft-capped model (gemma2) or a prefill chunk keeps the step-by-step path", async () => {
  const model = await modelOf("gemma2", "float32");
  const [pool, spare] = pools(model, "float32", [[1, 2]], [5]);
  spare.dispose();
  const steps: [PagedBatch, number][] = [
    [new PagedBatch([{ start: 0, numTokens: 1, numComputedTokens: 5, seqLen: 6 }], [[1, 2]], [9], BS), 1], // position 5 of blocks [1, 2]
    [new PagedBatch([{ start: 0, numTokens: 2, numComputedTokens: 4, seqLen: 6 }], [[1, 2]], [8, 9], BS), 2],
  ];
  for (const [batch, T] of steps) {
    const cache = new PagedLayerCache(pool, 0, batch, T === 1 ? 5 : 4);
    const seen: (mx.Array | null)[] = [];
    let attends = 0;
    const probe: LayerCache = { ropeOffset: cache.ropeOffset, attend: (q, k, v, o) => (attends++, cache.attend(q, k, v, o)),
      attendBlock: (...a) => { const r = cache.attendBlock(...a); seen.push(r); return r; } };
    using x = mx.normal([1, T, model.spec.config.hiddenSize], "float32", mx.randomKey(2));
    using xr = T === 1 ? mx.reshape(x, [1, 1, model.spec.config.hiddenSize]) : mx.reshape(x, [T, 1, model.spec.config.hiddenSize]);
    using out = model.layers[0]!.attention.forward(xr, probe);
    expect(seen).toEqual([null]);
    expect(attends).toBe(1);
    expect(out.shape).toEqual(xr.shape);
    batch.dispose();
  }
  pool.dispose();
});
