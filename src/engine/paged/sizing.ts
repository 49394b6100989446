/**
 * The KV budget: how many blocks the pool may grow to (given outright, in bytes, or from what the model can use
 * capped at a share of the free memory), and how many it starts with.
 */
import { bytesPerBlock, type KvPoolSpec } from "./kv-pool.ts";

/** The KV budget cannot hold even one sequence of maxModelLen tokens. */
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

/** Bytes the pool starts with (a few thousand tokens on small models), unless the budget is smaller. */
export const INITIAL_POOL_BYTES = 64 * 2 ** 20;

export interface KvSizingOptions {
  /** The budget in blocks (`--max-cache-blocks`). */
  numGpuBlocks?: number;
  /** The budget in bytes (`--kv-cache-memory`). */
  kvCacheMemoryBytes?: number;
  /** Share of the free memory the budget may take (0 < u <= 1, `--gpu-memory-utilization`). */
  gpuMemoryUtilization: number;
  maxModelLen: number;
  maxNumSeqs: number;
  /** Memory free for the KV pool now, after the weights are loaded. */
  freeBytes: number;
  /** Bytes the pool starts with (default {@link INITIAL_POOL_BYTES}). */
  initialBytes?: number;
}

export interface KvPlan {
  /** The budget: the most blocks the pool may grow to. */
  numBlocks: number;
  /** The blocks allocated at start-up. */
  initialBlocks: number;
  bytesPerBlock: number;
}

const GIB = 2 ** 30;
const gib = (bytes: number) => `${(bytes / GIB).toFixed(2)} GiB`;

/**
 * The KV plan. Without `numGpuBlocks` or `kvCacheMemoryBytes`, the budget is what the model can use
 * (maxNumSeqs sequences of maxModelLen tokens), capped at `gpuMemoryUtilization` of the free memory. Throws
 * `KvCacheTooSmallError`, naming the CLI flags, when one max-length sequence does not fit.
 *
 * @example
 * const plan = planKvPool(spec, { gpuMemoryUtilization: 0.5, maxModelLen: 4096, maxNumSeqs: 64, freeBytes });
 * plan.numBlocks; // the budget; plan.initialBlocks <= plan.numBlocks
 */
export function planKvPool(spec: Omit<KvPoolSpec, "numBlocks">, opts: KvSizingOptions): KvPlan {
  const perBlock = bytesPerBlock(spec);
  const needed = Math.ceil(opts.maxModelLen / spec.blockSize);
  const shortenHint = `or lower --max-model-len (now ${opts.maxModelLen})`;
  let numBlocks: number;
  if (opts.numGpuBlocks !== undefined) {
    if (!Number.isInteger(opts.numGpuBlocks) || opts.numGpuBlocks < 1) {
      throw new RangeError(`--max-cache-blocks must be a positive integer, got ${opts.numGpuBlocks}`);
    }
    numBlocks = opts.numGpuBlocks;
    if (numBlocks < needed) throw new KvCacheTooSmallError(numBlocks, needed, `raise --max-cache-blocks ${shortenHint}`);
  } else if (opts.kvCacheMemoryBytes !== undefined) {
    numBlocks = Math.floor(opts.kvCacheMemoryBytes / perBlock);
    if (numBlocks < needed) {
      const detail = `--kv-cache-memory ${opts.kvCacheMemoryBytes} holds ${numBlocks} blocks of ${perBlock} bytes; ` +
        `raise --kv-cache-memory to at least ${needed * perBlock} ${shortenHint}`;
      throw new KvCacheTooSmallError(numBlocks, needed, detail);
    }
  } else {
    const u = opts.gpuMemoryUtilization;
    if (!(u > 0 && u <= 1)) throw new RangeError(`--gpu-memory-utilization must be in (0, 1], got ${u}`);
    const fit = Math.max(0, Math.floor((u * Math.max(0, opts.freeBytes)) / perBlock));
    if (fit < needed) {
      const detail = `${u} (--gpu-memory-utilization) of ${gib(opts.freeBytes)} free memory holds ${fit} blocks ` +
        `of ${perBlock} bytes; raise --gpu-memory-utilization, set --kv-cache-memory, ${shortenHint}`;
      throw new KvCacheTooSmallError(fit, needed, detail);
    }
    numBlocks = Math.min(fit, needed * opts.maxNumSeqs);
  }
  const initial = Math.ceil((opts.initialBytes ?? INITIAL_POOL_BYTES) / perBlock);
  return { numBlocks, initialBlocks: Math.max(1, Math.min(numBlocks, initial)), bytesPerBlock: perBlock };
}
