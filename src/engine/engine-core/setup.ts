/**
 * What an engine core is built from, sized by its config: the KV memory (budget, initial pool, cache limit) and
 * the scheduler over that many blocks (the model's activation dtype sizes the pool); and the counters they report.
 */
import * as mx from "../../mlx/index.ts";
import type { Model } from "../../models/decoder.ts";
import { createSchedulerConfig, Scheduler } from "../core/index.ts";
import { KvMemory } from "../paged/kv-memory.ts";
import type { EncoderCacheStats } from "../multimodal/encoder-cache.ts";
import type { EngineCoreConfig, EngineCoreStats } from "./core-types.ts";
import type { RequestState } from "./requests.ts";

/**
 * @example
 * const { memory, scheduler } = buildCoreMemory(model, config);
 */
export function buildCoreMemory(model: Model, cfg: EngineCoreConfig): { memory: KvMemory; scheduler: Scheduler<RequestState> } {
  const c = model.spec.config;
  const base = { numLayers: model.layers.length, blockSize: cfg.blockSize, numKvHeads: c.numKeyValueHeads,
    headDim: c.headDim, dtype: activationDtype(model) };
  const memory = new KvMemory(base, {
    ...(cfg.numGpuBlocks !== undefined ? { numGpuBlocks: cfg.numGpuBlocks } : {}),
    ...(cfg.kvCacheMemoryBytes !== undefined ? { kvCacheMemoryBytes: cfg.kvCacheMemoryBytes } : {}),
    ...(cfg.initialKvBytes !== undefined ? { initialBytes: cfg.initialKvBytes } : {}),
    ...(cfg.mlxCacheLimitBytes !== undefined ? { mlxCacheLimitBytes: cfg.mlxCacheLimitBytes } : {}),
    ...(cfg.freeMemoryBytes !== undefined ? { freeMemoryBytes: cfg.freeMemoryBytes } : {}),
    gpuMemoryUtilization: cfg.gpuMemoryUtilization,
    maxModelLen: cfg.maxModelLen,
    maxNumSeqs: cfg.maxNumSeqs,
  });
  const plan = memory.plan;
  const scheduler = new Scheduler<RequestState>(createSchedulerConfig({ numBlocks: plan.numBlocks,
    initialBlocks: plan.initialBlocks, blockSize: cfg.blockSize, maxNumSeqs: cfg.maxNumSeqs,
    maxNumBatchedTokens: cfg.maxNumBatchedTokens, enablePrefixCaching: cfg.enablePrefixCaching,
    ...(cfg.longPrefillTokenThreshold !== undefined ? { longPrefillTokenThreshold: cfg.longPrefillTokenThreshold } : {}),
    ...(cfg.maxNumPartialPrefills !== undefined ? { maxNumPartialPrefills: cfg.maxNumPartialPrefills } : {}) }));
  return { memory, scheduler };
}

/** The core's occupancy, cache counters and memory. */
export function coreStats(scheduler: Scheduler<RequestState>, memory: KvMemory, encoderCache: EncoderCacheStats | null): EngineCoreStats {
  const s = scheduler.stats();
  const bm = scheduler.blockManager;
  return {
    running: s.numRunning,
    waiting: s.numWaiting,
    numBlocks: bm.numBlocks,
    usedBlocks: bm.numUsedBlocks,
    prefixCacheQueries: s.prefixCache.queries,
    prefixCacheHits: s.prefixCache.hits,
    prefixCacheRequests: s.prefixCache.requests,
    prefixCacheRequestHits: s.prefixCache.requestHits,
    prefixCacheMmHits: s.prefixCache.mmHits,
    prefixCacheEvictions: s.prefixCache.evictions,
    encoderCache,
    numPreemptions: s.numPreemptions,
    ...memory.stats(),
  };
}

/** The dtype of the model's activations (logits of a one-token probe forward). */
function activationDtype(model: Model): mx.Dtype {
  const caches = model.makeCache();
  try {
    using tokens = mx.array([0], { dtype: "int32", shape: [1, 1] });
    using logits = model.forward(tokens, caches, { lastOnly: true });
    return logits.dtype;
  } finally {
    for (const c of caches) c.dispose();
  }
}

/**
 * Nothing could be scheduled although requests wait and none runs: with growth held back by memory pressure,
 * nothing will free blocks, so the first waiting request must be refused instead of waiting forever. Returns its
 * id and the reason, or null when nothing is stuck.
 */
export function stuckUnderPressure(scheduler: Scheduler<RequestState>, memory: KvMemory): { id: string; reason: string } | null {
  const bm = scheduler.blockManager;
  const { numRunning, numWaiting } = scheduler.stats();
  if (numWaiting === 0 || numRunning > 0 || !bm.growthLimited) return null;
  const seq = scheduler.waiting[0]!;
  memory.limitGrowth(bm, true); // the memory may have come back since the last reading
  if (bm.canAllocate(seq)) return null; // the next step admits it
  const held = ((bm.numBackedBlocks * memory.bytesPerBlock) / 2 ** 20).toFixed(0);
  const reason = `not enough free memory to grow the KV cache for this request (${held} MiB held); retry later`;
  return { id: seq.samplingParams!.req.requestId, reason };
}
