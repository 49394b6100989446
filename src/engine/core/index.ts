export { type BlockCopy, BlockManager, type BlockManagerOptions, type PrefixCacheStats } from "./block-manager.ts";
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
export { Scheduler, type SchedulerOptions, type SchedulerStats, type StopChecker } from "./scheduler.ts";
export type { ScheduledSequence, SchedulerOutput } from "./scheduler-output.ts";
export { type FinishReason, Sequence, type SequenceOptions, type SequenceStatus } from "./sequence.ts";
