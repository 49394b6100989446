/**
 * One attention block of a step of decodes over the paged KV pools in one native call (ffi/src/paged_block.cpp):
 * the block's q/k/v, the pool write, the attention and the output projection, with the same MLX ops as the calls
 * it replaces (attentionQkv, reshapeAndCache, pagedAttention or the MLX-ops path of src/engine/paged, attentionOut).
 */
import { Array } from "../array.ts";
import { MlxError } from "../errors.ts";
import { N, OUT, OUT2, OUT3, takeTriple } from "../ffi/call.ts";
import { type Stream, streamHandle as S } from "../stream.ts";
import type { NativeAttention, NormWeight } from "./fused.ts";
import { optHandle, optInt } from "./nn-args.ts";
import { PAGED_ONE_SEQUENCE } from "./paged.ts";

/** A step's paged inputs, shared by every layer: T rows of one token each. */
export interface PagedBlockStep {
  /** int32 `[T]`: each row's pool slot (block * blockSize + offset). */
  slotMapping: Array;
  /** int32 `[T, maxBlocks]` and `[T]`: each row's block table and KV length after the step. */
  blockTables: Array;
  seqLens: Array;
  /** The single row's KV length on the host, when T is 1 (the MLX-ops path cuts its keys to it). */
  rowLen: number;
  scale: number;
  slidingWindow: number | null;
  /** Whether the paged kernels may serve (the GPU kernel, or the CPU one where it serves); else MLX ops. */
  kernels: boolean;
  /** bool `[T, 1, 1, maxBlocks * blockSize]`: each row's visible keys, for the MLX-ops path of T > 1 rows. */
  mask: Array | null;
  /** The T rows share one block table (`PagedAttentionOptions.oneSequence`). */
  oneSequence?: boolean;
}

/**
 * `x` `[T, 1, hidden]` (normed by `norm` when given) through the attention block `a` over the pools at RoPE
 * `offset` (a number, or int32 `[T]`). Returns `[out, kPool', vPool']`: out `[T, 1, hidden]` and the written pools'
 * views (as `reshapeAndCache` returns them).
 *
 * @example
 *   const [out, kv, vv] = mx.pagedAttentionBlock(block, x, norm, positions, kBase, vBase, step);
 */
export function pagedAttentionBlock(a: NativeAttention, x: Array, norm: NormWeight | null, offset: number | Array,
  kPool: Array, vPool: Array, step: PagedBlockStep, s?: Stream): [Array, Array, Array] {
  if (typeof offset === "number" && !Number.isInteger(offset)) {
    throw new MlxError("vmlx_paged_attention_block", `offset must be an integer, got ${offset}`);
  }
  const [n, o] = typeof offset === "number" ? [offset, null] : [0, offset._h];
  const st = N.vmlx_paged_attention_block(OUT, OUT2, OUT3, a._h, x._h, optHandle(norm?.weight), norm?.eps ?? 0, n, o,
    kPool._h, vPool._h, step.slotMapping._h, step.blockTables._h, step.seqLens._h, step.rowLen, step.scale,
    optInt(step.slidingWindow), step.kernels, optHandle(step.mask), step.oneSequence ? PAGED_ONE_SEQUENCE : 0, S(s));
  const [out, k, v] = takeTriple("vmlx_paged_attention_block", st);
  return [new Array(out), new Array(k), new Array(v)];
}
