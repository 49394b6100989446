import { describe, expect, test } from "bun:test";
import { chatLogprobs, completionLogprobs } from "./logprobs.ts";

const item = (token: string, logprob: number, top: [string, number][]) => ({
  token,
  logprob,
  bytes: [...new TextEncoder().encode(token)],
  topLogprobs: top.map(([t, l]) => ({ token: t, logprob: l, bytes: [...new TextEncoder().encode(t)] })),
});

describe("completionLogprobs", () => {
  test("a sampled token outside the top alternatives is added to top_logprobs (up to logprobs+1 entries)", () => {
    const out = completionLogprobs([item("red", -7.5, [["and", -2.5]]), item(" cat", -0.5, [[" cat", -0.5]])], 3);
    expect(out).toEqual({
      tokens: ["red", " cat"],
      token_logprobs: [-7.5, -0.5],
      top_logprobs: [{ and: -2.5, red: -7.5 }, { " cat": -0.5 }],
      text_offset: [3, 6],
    });
  });
  test("logprobs: 0 (no alternatives) still names the sampled token", () => {
    expect(completionLogprobs([item("a", -1, []), item("b", -2, [])], 0).top_logprobs).toEqual([{ a: -1 }, { b: -2 }]);
  });
  test("a token spelled __proto__ stays an own key", () => {
    const top = completionLogprobs([item("__proto__", -1, [])], 0).top_logprobs[0]!;
    expect(Object.keys(top)).toEqual(["__proto__"]);
    expect(top.__proto__).toBe(-1);
  });
});

describe("chatLogprobs", () => {
  test("chat top_logprobs are the alternatives only, as OpenAI's chat shape has them", () => {
    expect(chatLogprobs([item("red", -7.5, [["and", -2.5]])])[0]!.top_logprobs).toEqual([{ token: "and", logprob: -2.5, bytes: [97, 110, 100] }]);
  });
});
