/**
 * Paged attention over block tables: each row's keys and values live in fixed-size blocks of a shared pool,
 * found through the row's block table. One native call: the reference path (MLX ops: gather, mask, fused
 * SDPA), the decode kernel of the Metal and CUDA builds (online softmax over the blocks, GQA), or on a CPU stream
 * the CPU kernel (float32, float16 or bfloat16, summing in float32; online softmax over the blocks, GQA, prefill and
 * decode, sliding window).
 */
import { Array } from "../array.ts";
import { MlxError } from "../errors.ts";
import { N, OUT, OUT2, take, takePair } from "../ffi/call.ts";
import { info } from "../info.ts";
import { defaultStream, type Stream, streamHandle as S } from "../stream.ts";
import { cstr, optFloat, optInt } from "./nn-args.ts";

/**
 * `"auto"` takes the build's GPU kernel where it has one and the shape suits it, else the CPU kernel where it
 * serves (`pagedCpuKernelServes`), else the reference path. `"cpu"` is the CPU kernel, in every build.
 */
export type PagedAttentionPath = "auto" | "reference" | "kernel" | "cpu";

export interface PagedAttentionOptions {
  /** Attend only to the last `slidingWindow` keys (the query's own position included). */
  slidingWindow?: number | null;
  /** Soft-cap the scores: `softcap * tanh(scores / softcap)` before the softmax. */
  softcap?: number | null;
  /**
   * Which implementation runs. Default `"auto"`; `"kernel"` throws an MlxError on a CPU build, `"cpu"` where
   * `pagedCpuKernelServes` is false.
   */
  path?: PagedAttentionPath;
  /**
   * The B rows (L = 1) all have the same block table: one sequence's queries (a prefill chunk split into
   * single-query rows, pad rows repeating its last included), each at its own `seqLens[b]`. The CUDA build then
   * reads each key once for a round of them, through row 0's table; every path gives the same result either way.
   */
  oneSequence?: boolean;
}

/** `VMLX_PAGED_ONE_SEQUENCE` (ffi/include/vmlx/paged.h). */
export const PAGED_ONE_SEQUENCE = 1;

/**
 * Attention of `q` over keys and values stored in blocks.
 *
 * - `q`: `[B, Hq, L, D]`; L = 1 for decode (the query sits at position `seqLens[b] - 1`); L > 1 is a causal
 *   prefill whose queries sit at positions `seqLens[b] - L .. seqLens[b] - 1` (reference path and CPU kernel).
 * - `kPool`, `vPool`: `[numBlocks, blockSize, Hkv, D]`, Hq a multiple of Hkv.
 * - `blockTables`: int32 `[B, maxBlocks]`, padded with any valid block id.
 * - `seqLens`: int32 `[B]`, each at least L: keys `0 .. seqLens[b] - 1` of row b are valid.
 *
 * Returns `[B, Hq, L, D]` in q's dtype.
 *
 * @example
 *   using out = mx.pagedAttention(q, kPool, vPool, blockTables, seqLens, 1 / Math.sqrt(128), { slidingWindow: 4096 });
 */
export function pagedAttention(
  q: Array,
  kPool: Array,
  vPool: Array,
  blockTables: Array,
  seqLens: Array,
  scale: number,
  opts: PagedAttentionOptions = {},
  s?: Stream,
): Array {
  const window = opts.slidingWindow ?? null;
  if (window !== null && !(Number.isInteger(window) && window > 0)) {
    throw new MlxError("vmlx_paged_attention", `slidingWindow must be a positive integer, got ${window}`);
  }
  const path = cstr(opts.path ?? "auto");
  const st = N.vmlx_paged_attention(OUT, q._h, kPool._h, vPool._h, blockTables._h, seqLens._h, scale,
    optInt(window), optFloat(opts.softcap ?? null), path, opts.oneSequence ? PAGED_ONE_SEQUENCE : 0, S(s));
  return new Array(take("vmlx_paged_attention", st));
}

/**
 * Whether the CPU kernel (`path: "cpu"`, and what `"auto"` takes where no GPU kernel does) serves these inputs:
 * a CPU stream, queries and pools of one dtype (float32, float16 or bfloat16), no soft-capping. Any query length,
 * any head dim, sliding windows. (ffi/src/paged_cpu.cpp states the same rule.)
 *
 * @example
 *   mx.pagedCpuKernelServes(q, kPool, vPool, { softcap: null }); // true for a float32 or bfloat16 model on the CPU
 */
export function pagedCpuKernelServes(q: Array, kPool: Array, vPool: Array, opts: { softcap?: number | null } = {},
  s?: Stream): boolean {
  const device = s?.device ?? defaultStream().device;
  const float = ["float32", "float16", "bfloat16"].includes(q.dtype) && kPool.dtype === q.dtype && vPool.dtype === q.dtype;
  return device === "cpu" && float && (opts.softcap ?? null) === null && kPool.shape[0]! > 0 && kPool.shape[1]! > 0;
}

/**
 * The paths this library can run: `["reference"]` on a CPU build, `["reference", "kernel"]` on a Metal or
 * CUDA build (the kernel then serves decode on the GPU stream).
 *
 * @example
 *   mx.pagedAttentionPaths(); // ["reference"] with the CPU backend
 */
export function pagedAttentionPaths(): Exclude<PagedAttentionPath, "auto">[] {
  const gpuBuild = info().backend === "metal" || info().backend === "cuda";
  const hasKernel = N.vmlx_paged_attention_has_kernel() === 1;
  if (gpuBuild !== hasKernel) {
    throw new MlxError("vmlx_paged_attention_has_kernel", `backend ${info().backend} but has_kernel=${hasKernel}`);
  }
  return hasKernel ? ["reference", "kernel"] : ["reference"];
}

/**
 * Writes `k` and `v` (`[T, Hkv, D]`, or `[T, Hkv, 1, D]`: one position a row's heads) into the pools (`[numBlocks, blockSize, Hkv, D]`) at `slotMapping`
 * (int32 `[T]`, `block * blockSize + offset`), in place: the pools' buffers are written, not copied, even while
 * other arrays hold them (a queued step still reading the pool, say). Returns views of the written pools that
 * depend on the write; read the pools through them. Slots outside the pool are skipped.
 *
 * On a GPU stream the pools must already be evaluated row-contiguous buffers (an MlxError otherwise). MLX's GPU
 * backends order kernels by the arrays they declare, and this write goes through the pools' buffers behind that
 * bookkeeping: in the same evaluation, read the views only through `pagedAttention` or through indices passed
 * through `orderAfterWrite`; otherwise evaluate the views first.
 *
 * @example
 *   const [kPool2, vPool2] = mx.reshapeAndCache(kPool, vPool, k, v, slots);
 */
export function reshapeAndCache(kPool: Array, vPool: Array, k: Array, v: Array, slotMapping: Array,
  s?: Stream): [Array, Array] {
  const st = N.vmlx_reshape_and_cache(OUT, OUT2, kPool._h, vPool._h, k._h, v._h, slotMapping._h, S(s));
  const [kh, vh] = takePair("vmlx_reshape_and_cache", st);
  return [new Array(kh), new Array(vh)];
}

/**
 * `x` (an integer array, such as block tables) made to run after the GPU write that produced `pool` (a view from
 * `reshapeAndCache`, not yet evaluated): gather from the pool through the result. Returns a new handle to `x`
 * itself where nothing needs ordering (CPU streams, evaluated views).
 *
 * @example
 *   using tables = mx.orderAfterWrite(blockTables, kView);
 *   using blocks = mx.take(kView, tables, 0);
 */
export function orderAfterWrite(x: Array, pool: Array, s?: Stream): Array {
  return new Array(take("vmlx_order_after_write", N.vmlx_order_after_write(OUT, x._h, pool._h, S(s))));
}
