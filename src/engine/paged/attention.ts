/**
 * Attention over block tables for a flattened step (`PagedBatch`): q holds one query per row, `[T, Hq, 1, D]`.
 * Each group of the batch takes a native kernel where one serves (the GPU kernel for decodes; the CPU kernel for
 * every float32 group), else MLX ops (the reference path that runs on every backend).
 */
import * as mx from "../../mlx/index.ts";
import { type AttendOptions, attention, softcappedAttention } from "../../nn/cache.ts";
import type { BatchRow } from "../runner/inputs.ts";
import type { BatchGroup, PagedBatch } from "./batch.ts";

/**
 * q: `[T, Hq, 1, D]` (token t at its row's position) against the pooled keys/values -> `[T, Hq, 1, D]`.
 *
 * @example
 * const out = pagedAttention(q, pool.keys(layer), pool.values(layer), batch, { scale, slidingWindow: null, softcap: null });
 */
export function pagedAttention(q: mx.Array, keyPool: mx.Array, valuePool: mx.Array, batch: PagedBatch,
  opts: AttendOptions): mx.Array {
  const parts: mx.Array[] = [];
  try {
    for (const g of batch.groups) {
      using qg = batch.groups.length === 1 ? null : rowsOf(q, g.tokenStart, g.numTokens);
      const attend = g.kind === "decodes" ? attendDecodes : attendPrefill;
      parts.push(attend(qg ?? q, keyPool, valuePool, g, opts));
    }
    return parts.length === 1 ? parts.pop()! : mx.concatenate(parts, 0);
  } finally {
    for (const p of parts) p.dispose();
  }
}

/**
 * Query-key pairs (chunk tokens x keys after the step) up to which a prefill chunk attends through the paged kernel
 * as one single-query row per token, on CUDA: a chunk on a cached prefix (16 tokens over 2,048) then costs one
 * kernel call a layer, as decodes do, instead of the dense path's gather, transposes and cuDNN attention (about 14
 * graph nodes a layer). A chunk alone in its step takes the chunk kernel (`oneSequence`: each key read once for a
 * round of 32 queries); among decodes, the decode kernel re-reads a row's keys for every query. The bound was set
 * for the decode kernel (session 3) and not re-measured with the chunk kernel.
 */
export const PREFILL_KERNEL_MAX_PAIRS = 16 * 4096;

/**
 * Whether prefill chunk `row` attends as single-query rows through the GPU kernel (`PagedBatch`'s split):
 * on CUDA under {@link PREFILL_KERNEL_MAX_PAIRS}. `VLLM_MLX_PAGED_PREFILL=kernel` (every chunk, where the build
 * has the kernel) or `=dense` (none) override it, to measure one path against the other.
 *
 * @example
 * using batch = new PagedBatch(inputs.rows, inputs.blockTables, inputs.slotMapping, blockSize, prefillAsDecodes);
 */
export function prefillAsDecodes(row: BatchRow): boolean {
  if (!useKernel()) return false;
  const mode = process.env.VLLM_MLX_PAGED_PREFILL;
  if (mode === "dense") return false;
  if (mode === "kernel") return true;
  cudaBuild ??= mx.info().backend === "cuda";
  return cudaBuild && row.numTokens * row.seqLen <= PREFILL_KERNEL_MAX_PAIRS;
}
let cudaBuild: boolean | undefined;

/** One query per entry: `[n, Hq, 1, D]`. */
function attendDecodes(q: mx.Array, keyPool: mx.Array, valuePool: mx.Array, g: BatchGroup, opts: AttendOptions): mx.Array {
  if (useKernel() || cpuKernelServes(q, keyPool, valuePool, opts)) return kernel(q, keyPool, valuePool, g, opts);
  using k = gatherRows(keyPool, g.blockTables);
  using v = gatherRows(valuePool, g.blockTables);
  if (g.rows.length === 1) {
    // One row: exactly the contiguous cache's computation (keys cut to the sequence's length).
    const row = g.rows[0]!;
    using ks = cut(k, row.seqLen);
    using vs = cut(v, row.seqLen);
    return attention(q, ks, vs, row.numComputedTokens, opts);
  }
  return maskedAttention(q, k, v, decodeMaskOf(g, opts.slidingWindow), opts);
}

/** The decode group's mask for `window`, built on first use and kept with the group (the batch disposes it). */
export function decodeMaskOf(g: BatchGroup, window: number | null): mx.Array {
  const key = window ?? "none";
  let mask = g.masks.get(key);
  if (!mask) g.masks.set(key, (mask = decodeMask(g, window)));
  return mask;
}

/**
 * Whether the paged kernels may serve attention (the GPU kernel where the build has one, the CPU kernel where it
 * serves): not under `VLLM_MLX_PAGED_ATTENTION=reference`.
 */
export function kernelsAllowed(): boolean {
  return !referenceAsked();
}

/** Whether decodes attend through MLX ops with a mask: no GPU kernel, and pools the CPU kernel cannot read. */
export function decodesNeedMask(pool: mx.Array): boolean {
  return !useKernel() && (referenceAsked() || pool.dtype !== "float32");
}

/** One prefill chunk of L tokens, attended as one causal row: `[L, Hq, 1, D]` in and out. */
function attendPrefill(q: mx.Array, keyPool: mx.Array, valuePool: mx.Array, g: BatchGroup, opts: AttendOptions): mx.Array {
  using row = mx.transpose(q, [2, 1, 0, 3]); // [1, Hq, L, D]
  using out = cpuKernelServes(row, keyPool, valuePool, opts) ? kernel(row, keyPool, valuePool, g, opts)
    : referencePrefill(row, keyPool, valuePool, g, opts);
  return mx.transpose(out, [2, 1, 0, 3]);
}

function referencePrefill(q: mx.Array, keyPool: mx.Array, valuePool: mx.Array, g: BatchGroup, opts: AttendOptions): mx.Array {
  const row = g.rows[0]!;
  using k = gatherRows(keyPool, g.blockTables);
  using v = gatherRows(valuePool, g.blockTables);
  using ks = cut(k, row.seqLen);
  using vs = cut(v, row.seqLen);
  return attention(q, ks, vs, row.numComputedTokens, opts);
}

/** A fused kernel reads K/V through the block tables; unsupported shapes fall back inside. */
function kernel(q: mx.Array, keyPool: mx.Array, valuePool: mx.Array, g: BatchGroup, opts: AttendOptions): mx.Array {
  return mx.pagedAttention(q, keyPool, valuePool, g.blockTables, g.seqLens, opts.scale, {
    slidingWindow: opts.slidingWindow,
    softcap: opts.softcap,
    path: "auto",
    oneSequence: g.oneSequence,
  });
}

function cpuKernelServes(q: mx.Array, keyPool: mx.Array, valuePool: mx.Array, opts: AttendOptions): boolean {
  return !referenceAsked() && mx.pagedCpuKernelServes(q, keyPool, valuePool, opts);
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

/** Rows `[start, start + n)` of `[T, H, 1, D]`. */
function rowsOf(x: mx.Array, start: number, n: number): mx.Array {
  const [, H, L, D] = x.shape as [number, number, number, number];
  return mx.slice(x, [start, 0, 0, 0], [start + n, H, L, D]);
}

/** `[n, blocks]` block tables -> keys `[n, H, blocks * blockSize, D]`. */
function gatherRows(pool: mx.Array, tables: mx.Array): mx.Array {
  const [n, M] = tables.shape as [number, number];
  const [, bs, H, D] = pool.shape as [number, number, number, number];
  using ordered = mx.orderAfterWrite(tables, pool); // after this step's write of the pool (GPU)
  using blocks = mx.take(pool, ordered, 0); // [n, M, bs, H, D]
  using flat = mx.reshape(blocks, [n, M * bs, H, D]);
  return mx.transpose(flat, [0, 2, 1, 3]);
}

function cut(x: mx.Array, len: number): mx.Array {
  const [B, H, , D] = x.shape as [number, number, number, number];
  return mx.slice(x, [0, 0, 0, 0], [B, H, len, D]);
}

/** Boolean `[n, 1, 1, ctx]`: key position p is visible to entry b's query when p < seqLen (and in the window). */
function decodeMask(g: BatchGroup, window: number | null): mx.Array {
  const n = g.rows.length;
  const ctx = g.contextLength;
  using lens = mx.reshape(g.seqLens, [n, 1]);
  using pos = mx.arange(0, ctx, 1, "int32");
  using valid = mx.less(pos, lens); // [n, ctx]
  if (window === null) return mx.reshape(valid, [n, 1, 1, ctx]);
  using lo = mx.subtract(lens, window);
  using inWindow = mx.greaterEqual(pos, lo);
  using both = mx.logicalAnd(valid, inWindow);
  return mx.reshape(both, [n, 1, 1, ctx]);
}

/** Attention with an explicit boolean mask broadcastable to `[B, Hq, L, ctx]`; soft-capped when asked. */
function maskedAttention(q: mx.Array, k: mx.Array, v: mx.Array, mask: mx.Array, opts: AttendOptions): mx.Array {
  if (opts.softcap === null) return mx.scaledDotProductAttention(q, k, v, opts.scale, { mask });
  using m5 = mx.expandDims(mask, [2]); // [B, 1, 1, 1, ctx] against [B, Hkv, rep, L, ctx]
  return softcappedAttention(q, k, v, m5, opts.scale, opts.softcap);
}
