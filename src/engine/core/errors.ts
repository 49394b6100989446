/** Base class of every error raised by the scheduler and the block manager. */
export class SchedulerError extends Error {
  override name = "SchedulerError";
}

/** The scheduler configuration is invalid (a field is missing, not an integer, or out of range). */
export class SchedulerConfigError extends SchedulerError {
  override name = "SchedulerConfigError";
  /** The config key at fault. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(`invalid scheduler config \`${field}\`: ${message}`);
    this.field = field;
  }
}

/** A request is malformed for scheduling (empty prompt, bad maxTokens, duplicate id). */
export class InvalidRequestError extends SchedulerError {
  override name = "InvalidRequestError";
}

/**
 * A request can never fit the KV cache: its prompt plus maxTokens needs more blocks than the whole pool.
 *
 * @example
 * try { scheduler.add(seq) } catch (e) { if (e instanceof RequestTooLargeError) reply400(e.message) }
 */
export class RequestTooLargeError extends SchedulerError {
  override name = "RequestTooLargeError";
  constructor(
    readonly seqId: number,
    readonly numTokens: number,
    readonly numBlocksNeeded: number,
    readonly numBlocks: number,
  ) {
    super(
      `request ${seqId} needs ${numBlocksNeeded} KV blocks for up to ${numTokens} tokens, ` +
        `but the pool holds only ${numBlocks}`,
    );
  }
}

/** The block manager was asked for more free blocks than it has (a caller skipped `canAllocate`/`canAppend`). */
export class NoFreeBlocksError extends SchedulerError {
  override name = "NoFreeBlocksError";
  constructor(
    readonly needed: number,
    readonly free: number,
  ) {
    super(`need ${needed} free KV blocks, only ${free} free`);
  }
}
