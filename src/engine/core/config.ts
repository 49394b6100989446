import { SchedulerConfigError } from "./errors.ts";

/** Scheduling and KV-pool limits, in vLLM's names. */
export interface SchedulerConfig {
  /** Most sequences running (and scheduled) at once. */
  maxNumSeqs: number;
  /** Token budget of one step: decodes take 1 each, prefill chunks take the rest. */
  maxNumBatchedTokens: number;
  /** Tokens per KV block. */
  blockSize: number;
  /** Blocks in the KV pool: its budget. */
  numBlocks: number;
  /** Blocks backed by memory at the start (default numBlocks); the pool grows on demand up to numBlocks. */
  initialBlocks?: number;
  /** Reuse computed full blocks across requests with the same token prefix. */
  enablePrefixCaching: boolean;
  /** When set, one prefill chunk never exceeds this many tokens, so a long prompt cannot take a whole step. */
  longPrefillTokenThreshold?: number;
  /** When set, at most this many prompts get a prefill chunk in one step (`--prefill-batch-size`). */
  maxNumPartialPrefills?: number;
}

export const DEFAULT_SCHEDULER_CONFIG = {
  maxNumSeqs: 256,
  maxNumBatchedTokens: 8192,
  blockSize: 16,
  enablePrefixCaching: true,
} as const;

/**
 * Fills defaults and validates a scheduler config; throws `SchedulerConfigError` on a bad field.
 *
 * @example
 * const config = createSchedulerConfig({ numBlocks: 1024, maxNumSeqs: 64 });
 */
export function createSchedulerConfig(
  options: Partial<SchedulerConfig> & Pick<SchedulerConfig, "numBlocks">,
): SchedulerConfig {
  const config: SchedulerConfig = { ...DEFAULT_SCHEDULER_CONFIG, ...options };
  for (const field of ["maxNumSeqs", "maxNumBatchedTokens", "blockSize", "numBlocks"] as const) {
    requirePositiveInteger(field, config[field]);
  }
  if (config.initialBlocks !== undefined) {
    requirePositiveInteger("initialBlocks", config.initialBlocks);
    if (config.initialBlocks > config.numBlocks) throw new SchedulerConfigError("initialBlocks", "must not exceed numBlocks");
  }
  if (config.maxNumPartialPrefills !== undefined) requirePositiveInteger("maxNumPartialPrefills", config.maxNumPartialPrefills);
  if (config.longPrefillTokenThreshold !== undefined) {
    requirePositiveInteger("longPrefillTokenThreshold", config.longPrefillTokenThreshold);
  }
  if (config.maxNumBatchedTokens < config.maxNumSeqs) {
    throw new SchedulerConfigError("maxNumBatchedTokens", "must be at least maxNumSeqs (every decode needs a token)");
  }
  if (typeof config.enablePrefixCaching !== "boolean") {
    throw new SchedulerConfigError("enablePrefixCaching", "must be a boolean");
  }
  return config;
}

function requirePositiveInteger(field: string, value: unknown): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new SchedulerConfigError(field, `must be a positive integer, got ${String(value)}`);
  }
}
