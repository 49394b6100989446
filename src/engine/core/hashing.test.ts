import { describe, expect, test } from "bun:test";
import { hashBlockTokens } from "./hashing.ts";

describe("hashBlockTokens", () => {
  test("is deterministic and 64-bit", () => {
    const h = hashBlockTokens(null, [1, 2, 3, 4]);
    expect(hashBlockTokens(null, [1, 2, 3, 4])).toBe(h);
    expect(h >= 0n && h < 1n << 64n).toBe(true);
  });

  test("depends on tokens, their order and the parent hash", () => {
    const h = hashBlockTokens(null, [1, 2, 3, 4]);
    expect(hashBlockTokens(null, [1, 2, 3, 5])).not.toBe(h);
    expect(hashBlockTokens(null, [2, 1, 3, 4])).not.toBe(h);
    expect(hashBlockTokens(7n, [1, 2, 3, 4])).not.toBe(h);
    expect(hashBlockTokens(7n, [1, 2, 3, 4])).not.toBe(hashBlockTokens(8n, [1, 2, 3, 4]));
    expect(hashBlockTokens(1n << 40n, [1])).not.toBe(hashBlockTokens(1n << 41n, [1]));
  });

  test("no parent differs from a zero parent", () => {
    expect(hashBlockTokens(null, [1, 2])).not.toBe(hashBlockTokens(0n, [1, 2]));
  });

  test("large token ids are distinct", () => {
    expect(hashBlockTokens(null, [151_643])).not.toBe(hashBlockTokens(null, [151_644]));
  });
});
