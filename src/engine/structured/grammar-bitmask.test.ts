import { describe, expect, test } from "bun:test";
import { GrammarBitmasks } from "./grammar-bitmask.ts";
import type { TokenGrammar } from "./token-grammar.ts";

/** A grammar that allows exactly `allowed` next, or has ended. */
function fixed(allowed: number[], terminated = false): TokenGrammar & { fills: number } {
  return {
    fills: 0,
    fillNextTokenBitmask(out, offset) {
      this.fills++;
      out.fill(0, offset, offset + 3);
      for (const t of allowed) out[offset + (t >> 5)]! |= 1 << (t & 31);
    },
    acceptToken: () => true,
    isTerminated: () => terminated,
    dispose() {},
  };
}

describe("GrammarBitmasks", () => {
  test("one row of ceil(V/32) words per entry: a grammar's tokens, all ones without one or after its end", () => {
    const masks = new GrammarBitmasks();
    const live = fixed([0, 33, 70]);
    const ended = fixed([5], true);
    const bitmask = masks.build([null, live, ended], 80); // 3 words a row
    expect(Array.from(bitmask)).toEqual([-1, -1, -1, 1, 2, 64, -1, -1, -1]);
    expect([live.fills, ended.fills]).toEqual([1, 0]);
  });

  test("counts the masks it built and the host time", () => {
    const masks = new GrammarBitmasks();
    masks.build([fixed([1])], 64);
    masks.build([null], 64);
    const stats = masks.stats;
    expect(stats.masks).toBe(2);
    expect(stats.hostMs).toBeGreaterThanOrEqual(0);
    stats.masks = 99; // a copy
    expect(masks.stats.masks).toBe(2);
  });
});
