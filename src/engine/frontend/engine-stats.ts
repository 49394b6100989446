/** The server's view of the engine's counters (`EngineStats`), from the core's (`EngineCoreStats`). */
import type { EngineCoreStats } from "../engine-core/core-types.ts";
import type { EngineStats } from "../protocol.ts";

/**
 * @example
 * engineStats(EMPTY_CORE_STATS, 64).capacity // 64
 */
export function engineStats(s: EngineCoreStats, capacity: number): EngineStats {
  return {
    running: s.running,
    waiting: s.waiting,
    capacity,
    kvBlocksUsed: s.usedBlocks,
    kvBlocksTotal: s.numBlocks,
    prefixCacheQueries: s.prefixCacheQueries,
    prefixCacheHits: s.prefixCacheHits,
    prefixCacheRequests: s.prefixCacheRequests,
    prefixCacheRequestHits: s.prefixCacheRequestHits,
    prefixCacheMmHits: s.prefixCacheMmHits,
    prefixCacheEvictions: s.prefixCacheEvictions,
    ...(s.encoderCache ? {
      encoderCacheHits: s.encoderCache.hits, encoderCacheMisses: s.encoderCache.misses, encoderCacheEvictions: s.encoderCache.evictions,
      encoderCacheBytes: s.encoderCache.bytes, encoderCacheBudgetBytes: s.encoderCache.budgetBytes,
    } : {}),
    numPreemptions: s.numPreemptions,
    kvBudgetBytes: s.numBlocks * s.bytesPerBlock,
    kvPoolBytes: s.backedBlocks * s.bytesPerBlock,
    mlxCacheBytes: s.mlxCacheBytes,
    mlxCacheLimitBytes: s.mlxCacheLimitBytes,
    mlxActiveBytes: s.mlxActiveBytes,
  };
}
