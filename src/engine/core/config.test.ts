import { describe, expect, test } from "bun:test";
import { createSchedulerConfig, DEFAULT_SCHEDULER_CONFIG } from "./config.ts";
import { SchedulerConfigError } from "./errors.ts";

describe("createSchedulerConfig", () => {
  test("fills defaults", () => {
    const config = createSchedulerConfig({ numBlocks: 10 });
    expect(config).toEqual({ ...DEFAULT_SCHEDULER_CONFIG, numBlocks: 10 });
  });

  test("keeps overrides", () => {
    const config = createSchedulerConfig({ numBlocks: 10, blockSize: 4, longPrefillTokenThreshold: 64 });
    expect(config.blockSize).toBe(4);
    expect(config.longPrefillTokenThreshold).toBe(64);
  });

  test.each([
    [{ numBlocks: 0 }, "numBlocks"],
    [{ numBlocks: 4, blockSize: 1.5 }, "blockSize"],
    [{ numBlocks: 4, maxNumSeqs: -1 }, "maxNumSeqs"],
    [{ numBlocks: 4, maxNumBatchedTokens: Number.NaN }, "maxNumBatchedTokens"],
    [{ numBlocks: 4, longPrefillTokenThreshold: 0 }, "longPrefillTokenThreshold"],
    [{ numBlocks: 4, maxNumSeqs: 8, maxNumBatchedTokens: 4 }, "maxNumBatchedTokens"],
  ])("rejects %o", (options, field) => {
    let error: unknown;
    try {
      createSchedulerConfig(options);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SchedulerConfigError);
    expect((error as SchedulerConfigError).field).toBe(field);
  });
});
