import { describe, expect, test } from "bun:test";
import { type ArgsDef, parseArgs } from "citty";
import { parseServeArgs, serveCommand } from "./serve.ts";

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
});
