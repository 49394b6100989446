/** How many KV blocks the pool gets: given outright, or from a share of the device memory budget. */
import * as mx from "../../mlx/index.ts";
import { bytesPerBlock, type KvPoolSpec } from "./kv-pool.ts";

/** The KV pool cannot hold even one sequence of maxModelLen tokens. */
export class KvCacheTooSmallError extends Error {
  override name = "KvCacheTooSmallError";
  constructor(
    readonly numBlocks: number,
    readonly numBlocksNeeded: number,
    detail: string,
  ) {
    super(`the KV cache has room for ${numBlocks} blocks, but one max-length sequence needs ${numBlocksNeeded}: ${detail}`);
  }
}

export interface KvSizingOptions {
  numGpuBlocks?: number;
  /** Share of the device memory budget for weights plus KV (0 < u <= 1). */
  gpuMemoryUtilization: number;
  maxModelLen: number;
  maxNumSeqs: number;
  /** Bytes already taken (the weights). */
  usedBytes: number;
  /** The device memory budget; defaults to MLX's memory limit. */
  budgetBytes?: number;
}

/**
 * Blocks for the pool. Without `numGpuBlocks`: `floor((u * budget - used) / bytesPerBlock)`, capped at what
 * maxNumSeqs sequences of maxModelLen tokens could ever use. Throws `KvCacheTooSmallError` when one
 * max-length sequence does not fit.
 *
 * @example
 * const numBlocks = planNumBlocks(spec, { gpuMemoryUtilization: 0.5, maxModelLen: 4096, maxNumSeqs: 64, usedBytes });
 */
export function planNumBlocks(spec: Omit<KvPoolSpec, "numBlocks">, opts: KvSizingOptions): number {
  const needed = Math.ceil(opts.maxModelLen / spec.blockSize);
  if (opts.numGpuBlocks !== undefined) {
    if (!Number.isInteger(opts.numGpuBlocks) || opts.numGpuBlocks < 1) {
      throw new RangeError(`numGpuBlocks must be a positive integer, got ${opts.numGpuBlocks}`);
    }
    if (opts.numGpuBlocks < needed) {
      throw new KvCacheTooSmallError(opts.numGpuBlocks, needed, "raise numGpuBlocks or lower maxModelLen");
    }
    return opts.numGpuBlocks;
  }
  const u = opts.gpuMemoryUtilization;
  if (!(u > 0 && u <= 1)) throw new RangeError(`gpuMemoryUtilization must be in (0, 1], got ${u}`);
  const budget = opts.budgetBytes ?? mx.getMemoryLimit();
  const perBlock = bytesPerBlock(spec);
  const free = u * budget - opts.usedBytes;
  const fit = Math.max(0, Math.floor(free / perBlock));
  if (fit < needed) {
    const detail = `${(u * budget / 2 ** 30).toFixed(2)} GiB budget (gpuMemoryUtilization ${u}) minus ` +
      `${(opts.usedBytes / 2 ** 30).toFixed(2)} GiB of weights leaves ${fit} blocks of ${perBlock} bytes; ` +
      "raise gpuMemoryUtilization or lower maxModelLen";
    throw new KvCacheTooSmallError(fit, needed, detail);
  }
  return Math.min(fit, needed * opts.maxNumSeqs);
}
