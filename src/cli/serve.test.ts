import { describe, expect, test } from "bun:test";
import { type ArgsDef, parseArgs } from "citty";
import { parseBytes, parseServeArgs, serveCommand } from "./serve.ts";

/** Parses a command line the way citty does for `vllm-mlx serve`. */
async function parse(argv: string[]) {
  const spec = (typeof serveCommand.args === "function" ? await serveCommand.args() : await serveCommand.args) as ArgsDef;
  return parseServeArgs(parseArgs(argv, spec));
}

describe("serve flags", () => {
  test("--no-async-scheduling turns async scheduling off; it is left to the engine's default otherwise", async () => {
    expect((await parse(["m", "--no-async-scheduling"])).core.asyncScheduling).toBe(false);
    expect((await parse(["m"])).core.asyncScheduling).toBeUndefined();
    expect((await parse(["m", "--disable-prefix-cache", "--max-num-seqs", "8"])).core)
      .toEqual({ enablePrefixCache: false, maxNumSeqs: 8 });
  });

  test("--warmup / --no-warmup set it; left to the engine's default (GPU backends) otherwise", async () => {
    expect((await parse(["m", "--warmup"])).core.warmup).toBe(true);
    expect((await parse(["m", "--no-warmup"])).core.warmup).toBe(false);
    expect((await parse(["m"])).core.warmup).toBeUndefined();
  });

  test("the chat UI is on unless --no-ui", async () => {
    expect((await parse(["m"])).ui).toBe(true);
    expect((await parse(["m", "--no-ui"])).ui).toBe(false);
  });
});

describe("memory and back-pressure flags", () => {
  test("sizes take K/M/G/T suffixes (powers of 1024) or plain bytes", () => {
    expect(parseBytes("4G")).toBe(4 * 2 ** 30);
    expect(parseBytes("512M")).toBe(512 * 2 ** 20);
    expect(parseBytes("1.5GiB")).toBe(1.5 * 2 ** 30);
    expect(parseBytes("1073741824")).toBe(2 ** 30);
    for (const bad of ["", "-1G", "4X", "G", "0", "1e9"]) expect(parseBytes(bad)).toBeNull();
  });

  test("engine memory flags reach the core options", async () => {
    const config = await parse(["m", "--kv-cache-memory", "2G", "--max-model-len", "4096", "--kv-idle-release", "30",
      "--mlx-cache-limit", "256M", "--long-prefill-token-threshold", "64"]);
    expect(config.core).toEqual({ kvCacheMemoryBytes: 2 * 2 ** 30, maxModelLen: 4096, kvIdleReleaseSeconds: 30,
      mlxCacheLimitBytes: 256 * 2 ** 20, longPrefillTokenThreshold: 64 });
  });

  test("--mm-cache-bytes reaches the core options; 0 turns the encoder cache off; a bad size names the flag", async () => {
    expect((await parse(["m", "--mm-cache-bytes", "1G"])).core.mmCacheBytes).toBe(2 ** 30);
    expect((await parse(["m", "--mm-cache-bytes", "0"])).core.mmCacheBytes).toBe(0);
    expect((await parse(["m"])).core.mmCacheBytes).toBeUndefined();
    await expect(parse(["m", "--mm-cache-bytes", "-5"])).rejects.toThrow(/--mm-cache-bytes must be a size in bytes/);
  });

  test("admission flags: queue length and timeouts", async () => {
    const config = await parse(["m", "--max-queue-len", "8", "--queue-timeout", "2.5", "--request-timeout", "60"]);
    expect([config.maxQueueLen, config.queueTimeoutSeconds, config.requestTimeoutSeconds]).toEqual([8, 2.5, 60]);
    expect((await parse(["m", "--kv-idle-release", "0"])).core.kvIdleReleaseSeconds).toBe(0);
  });

  test("bad values name the flag", async () => {
    await expect(parse(["m", "--kv-cache-memory", "lots"])).rejects.toThrow(/--kv-cache-memory must be a size in bytes/);
    await expect(parse(["m", "--queue-timeout", "-1"])).rejects.toThrow(/--queue-timeout must be a number of seconds >= 0/);
    await expect(parse(["m", "--max-queue-len", "0"])).rejects.toThrow(/--max-queue-len must be a positive whole number/);
  });
});
