import { describe, expect, test } from "bun:test";
import { splitThink } from "./think.ts";

describe("splitThink", () => {
  test("a leading <think> block is the reasoning; the rest is the answer", () => {
    expect(splitThink("<think>\n2 + 2 is 4.\n</think>\n\nIt is **4**.")).toEqual({ reasoning: "2 + 2 is 4.", content: "It is **4**." });
    expect(splitThink("\n<think>a</think>b")).toEqual({ reasoning: "a", content: "b" });
  });

  test("while it streams: an unclosed block, and tags still arriving, show no tag", () => {
    expect(splitThink("<think>Let me see")).toEqual({ reasoning: "Let me see", content: "" });
    expect(splitThink("<think>Let me see</thi")).toEqual({ reasoning: "Let me see", content: "" });
    expect(splitThink("<thi")).toEqual({ reasoning: "", content: "" });
    expect(splitThink("<")).toEqual({ reasoning: "", content: "" });
  });

  test("a template that opened the block in the prompt: text up to </think> is the reasoning", () => {
    expect(splitThink("Thinking it over.</think>\n\nHello!")).toEqual({ reasoning: "Thinking it over.", content: "Hello!" });
  });

  test("answers without reasoning, or quoting the tags, are left alone", () => {
    expect(splitThink("Plain answer.")).toEqual({ reasoning: "", content: "Plain answer." });
    expect(splitThink("Close it with `</think>`.")).toEqual({ reasoning: "", content: "Close it with `</think>`." });
    expect(splitThink("Write <think>x</think> to think.")).toEqual({ reasoning: "", content: "Write <think>x</think> to think." });
    expect(splitThink("a < b")).toEqual({ reasoning: "", content: "a < b" });
  });
});
