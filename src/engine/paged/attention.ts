/**
 * Attention over block tables: a native kernel where one serves (GPU decode; every float32 step on the CPU),
 * else MLX ops (the reference path that runs on every backend). Everything the kernels need goes through one
 * function, `pagedAttention`.
 */
import * as mx from "../../mlx/index.ts";
import { type AttendOptions, attention, softcappedAttention } from "../../nn/cache.ts";

/**
 * The per-step batch description attention needs (explicit, never global). Rows are sequences; a prefill
 * forward has one row of `L` queries, a decode forward has `B` rows of one query each.
 */
export interface PagedBatch {
  kind: "prefill" | "decode";
  /** int32 `[B * L]`: pool slot (block * blockSize + offset) of each new token, row-major. */
  slotMapping: mx.Array;
  /** int32 `[B, maxBlocks]`: each row's block table, padded (with block 0) to the longest. */
  blockTables: mx.Array;
  /** Per row: KV positions before this step (the first query's position). */
  numComputedTokens: readonly number[];
  /** Per row: KV length after this step (numComputedTokens + L). */
  seqLens: readonly number[];
  /** int32 `[B, 1]` copy of seqLens (decode steps; null for prefill). */
  seqLensArray: mx.Array | null;
  blockSize: number;
}

/**
 * q: `[B, Hq, L, D]` against the pooled keys/values of each row's block table -> `[B, Hq, L, D]`.
 *
 * @example
 * const out = pagedAttention(q, pool.keys(layer), pool.values(layer), batch, { scale, slidingWindow: null, softcap: null });
 */
export function pagedAttention(q: mx.Array, keyPool: mx.Array, valuePool: mx.Array, batch: PagedBatch,
  opts: AttendOptions): mx.Array {
  const gpuKernel = batch.kind === "decode" && useKernel();
  if (gpuKernel || (!referenceAsked() && mx.pagedCpuKernelServes(q, keyPool, valuePool, opts))) {
    // A fused kernel (Metal/CUDA decode, or the CPU one for every step) reads K/V through the block tables;
    // unsupported shapes fall back inside.
    using lens = batch.seqLensArray ? mx.reshape(batch.seqLensArray, [batch.seqLens.length])
      : mx.array(batch.seqLens, { dtype: "int32" });
    return mx.pagedAttention(q, keyPool, valuePool, batch.blockTables, lens, opts.scale, {
      slidingWindow: opts.slidingWindow,
      softcap: opts.softcap,
      path: "auto",
    });
  }
  using k = gatherRows(keyPool, batch);
  using v = gatherRows(valuePool, batch);
  const B = q.shape[0]!;
  if (B === 1) {
    // One row: exactly the contiguous cache's computation (keys cut to the sequence's length).
    const len = batch.seqLens[0]!;
    using ks = cut(k, len);
    using vs = cut(v, len);
    return attention(q, ks, vs, batch.numComputedTokens[0]!, opts);
  }
  if (batch.kind !== "decode") throw new RangeError("a batched paged forward must be a decode (one query per row)");
  using mask = decodeMask(batch, k.shape[2]!, opts.slidingWindow);
  return maskedAttention(q, k, v, mask, opts);
}

let kernelAvailable: boolean | undefined;
/**
 * Whether decode attention uses the GPU paged kernel: where the build has one (GPU backends), unless
 * `VLLM_MLX_PAGED_ATTENTION=reference` asks for the MLX-ops path.
 */
function useKernel(): boolean {
  kernelAvailable ??= mx.pagedAttentionPaths().includes("kernel") && !referenceAsked();
  return kernelAvailable;
}

/** `VLLM_MLX_PAGED_ATTENTION=reference`: MLX ops only, no kernel (GPU or CPU). */
function referenceAsked(): boolean {
  return process.env.VLLM_MLX_PAGED_ATTENTION === "reference";
}

/** `[B, maxBlocks]` block tables -> keys `[B, H, maxBlocks * blockSize, D]`. */
function gatherRows(pool: mx.Array, batch: PagedBatch): mx.Array {
  const [B, M] = batch.blockTables.shape as [number, number];
  const [, bs, H, D] = pool.shape as [number, number, number, number];
  using tables = mx.orderAfterWrite(batch.blockTables, pool); // after this step's write of the pool (GPU)
  using blocks = mx.take(pool, tables, 0); // [B, M, bs, H, D]
  using flat = mx.reshape(blocks, [B, M * bs, H, D]);
  return mx.transpose(flat, [0, 2, 1, 3]);
}

function cut(x: mx.Array, len: number): mx.Array {
  const [B, H, , D] = x.shape as [number, number, number, number];
  return mx.slice(x, [0, 0, 0, 0], [B, H, len, D]);
}

/** Boolean `[B, 1, 1, ctx]`: key position p is visible to row b's query when p < seqLen (and in the window). */
function decodeMask(batch: PagedBatch, ctx: number, window: number | null): mx.Array {
  const lens = batch.seqLensArray!;
  using pos = mx.arange(0, ctx, 1, "int32");
  using valid = mx.less(pos, lens); // [B, ctx]
  const B = batch.seqLens.length;
  if (window === null) return mx.reshape(valid, [B, 1, 1, ctx]);
  using lo = mx.subtract(lens, window);
  using inWindow = mx.greaterEqual(pos, lo);
  using both = mx.logicalAnd(valid, inWindow);
  return mx.reshape(both, [B, 1, 1, ctx]);
}

/** Attention with an explicit boolean mask broadcastable to `[B, Hq, L, ctx]`; soft-capped when asked. */
export function maskedAttention(q: mx.Array, k: mx.Array, v: mx.Array, mask: mx.Array, opts: AttendOptions): mx.Array {
  if (opts.softcap === null) return mx.scaledDotProductAttention(q, k, v, opts.scale, { mask });
  using m5 = mx.expandDims(mask, [2]); // [B, 1, 1, 1, ctx] against [B, Hkv, rep, L, ctx]
  return softcappedAttention(q, k, v, m5, opts.scale, opts.softcap);
}
