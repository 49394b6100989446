export { BlockManager, type BlockManagerOptions } from "./block-manager.ts";
export { emptyPrefixCacheStats, PrefixCache, type PrefixCacheStats } from "./prefix-cache.ts";
export { blockExtraKeys, checkPlaceholders, type MultiModalPlaceholder } from "./mm-keys.ts";
export { createSchedulerConfig, DEFAULT_SCHEDULER_CONFIG, type SchedulerConfig } from "./config.ts";
export {
  InvalidRequestError,
  NoFreeBlocksError,
  RequestTooLargeError,
  SchedulerConfigError,
  SchedulerError,
} from "./errors.ts";
export { FreeBlockQueue } from "./free-block-queue.ts";
export { type BlockHasher, hashBlockTokens } from "./hashing.ts";
export { Scheduler, type SchedulerOptions, type SchedulerStats } from "./scheduler.ts";
export type { ScheduledSequence, SchedulerOutput } from "./scheduler-output.ts";
export { type FinishReason, PLACEHOLDER_TOKEN, Sequence, type SequenceOptions, type SequenceStatus } from "./sequence.ts";
