/**
 * The engine's memory beside the weights: the KV pool (sized by a budget, grown as the block manager hands out
 * blocks, held back under memory pressure, shrunk when idle) and MLX's buffer cache.
 */
import * as mx from "../../mlx/index.ts";
import type { BlockManager } from "../core/block-manager.ts";
import { defaultMlxCacheLimit, freeMemoryForKv } from "./free-memory.ts";
import { type KvPoolSpec, PagedKvPool } from "./kv-pool.ts";
import { type KvPlan, type KvSizingOptions, planKvPool } from "./sizing.ts";

/** Free memory the KV pool leaves to the system when it grows, and how often that is read. */
const GROWTH_RESERVE_BYTES = 512 * 2 ** 20;
const GROWTH_CHECK_MS = 1000;

export interface KvMemoryOptions extends Omit<KvSizingOptions, "freeBytes"> {
  /** MLX's buffer cache limit in bytes (default: 10% of MLX's memory limit, at most 1 GiB on unified memory). */
  mlxCacheLimitBytes?: number;
  /** Memory free for the KV pool (default: the OS's available memory and MLX's headroom); tests inject it. */
  freeMemoryBytes?: () => number;
}

/** Memory figures for stats and /metrics. */
export interface KvMemoryStats {
  backedBlocks: number;
  bytesPerBlock: number;
  mlxCacheBytes: number;
  mlxCacheLimitBytes: number;
  mlxActiveBytes: number;
}

/**
 * @example
 * const memory = new KvMemory(spec, { gpuMemoryUtilization: 0.5, maxModelLen: 4096, maxNumSeqs: 64 });
 * const bm = new BlockManager(memory.plan.numBlocks, 16, { initialBlocks: memory.plan.initialBlocks });
 * memory.limitGrowth(bm); // before scheduling
 * memory.follow(bm);      // after scheduling, before the step writes KV
 */
export class KvMemory {
  readonly plan: KvPlan;
  readonly pool: PagedKvPool;
  readonly #freeMemory: () => number;
  /**
   * The MLX buffer cache limit set here, reported by {@link stats}: MLX has no getter, and mx.getCacheLimit's
   * set-and-restore waits behind a running evaluation on the CPU backend (a whole step, on every stats call).
   */
  readonly #cacheLimit: number;
  #checkedAt = Number.NEGATIVE_INFINITY;

  constructor(spec: Omit<KvPoolSpec, "numBlocks">, options: KvMemoryOptions) {
    this.#freeMemory = options.freeMemoryBytes ?? (() => freeMemoryForKv(mx));
    this.plan = planKvPool(spec, { ...options, freeBytes: this.#freeMemory() });
    this.pool = new PagedKvPool({ ...spec, numBlocks: this.plan.initialBlocks });
    this.#cacheLimit = options.mlxCacheLimitBytes ?? defaultMlxCacheLimit(mx);
    mx.setCacheLimit(this.#cacheLimit);
  }

  get bytesPerBlock(): number {
    return this.plan.bytesPerBlock;
  }

  /**
   * Caps how far `bm` may grow the pool: what the free memory allows, keeping GROWTH_RESERVE_BYTES for the
   * system. Read at most once a second (always with `force`), and only while the pool can still grow.
   */
  limitGrowth(bm: BlockManager, force = false): void {
    if (bm.numBackedBlocks >= bm.numBlocks) return;
    const now = performance.now();
    if (!force && now - this.#checkedAt < GROWTH_CHECK_MS) return;
    this.#checkedAt = now;
    // Growth reallocates: old and new pools coexist for a moment, hence the pool's own size in the reckoning.
    const spare = Math.max(0, this.#freeMemory() - GROWTH_RESERVE_BYTES - this.pool.nbytes);
    bm.growthLimit = bm.numBackedBlocks + Math.floor(spare / this.bytesPerBlock);
  }

  /** Grows the pool to the blocks `bm` has backed (it hands out ids past the pool only after growing). */
  follow(bm: BlockManager): void {
    if (bm.numBackedBlocks > this.pool.numBlocks) this.pool.resize(bm.numBackedBlocks);
  }

  /** Shrinks the pool to its initial size when no block is in use, and empties MLX's buffer cache. Returns bytes freed. */
  release(bm: BlockManager): number {
    const before = this.pool.nbytes + mx.getCacheMemory();
    const kept = bm.shrink();
    if (kept !== null) this.pool.resize(kept);
    mx.defaultStream().synchronize(); // asynchronous backends (CUDA) release buffers once the stream has drained
    mx.clearCache();
    mx.trimHostHeap(); // the freed CPU buffers' pages, which malloc would otherwise keep resident
    return Math.max(0, before - this.pool.nbytes - mx.getCacheMemory());
  }

  stats(): KvMemoryStats {
    return {
      backedBlocks: this.pool.numBlocks,
      bytesPerBlock: this.bytesPerBlock,
      mlxCacheBytes: mx.getCacheMemory(),
      mlxCacheLimitBytes: this.#cacheLimit,
      mlxActiveBytes: mx.getActiveMemory(),
    };
  }

  dispose(): void {
    this.pool.dispose();
  }
}
