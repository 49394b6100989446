import { describe, expect, test } from "bun:test";
import { StopStringMatcher } from "./stop-strings.ts";

function run(stops: string[], deltas: string[]): { out: string[]; stopped: boolean; flushed: string } {
  const m = new StopStringMatcher(stops);
  const out: string[] = [];
  let stopped = false;
  for (const d of deltas) {
    const r = m.push(d);
    out.push(r.text);
    stopped ||= r.stopped;
  }
  return { out, stopped, flushed: m.flush() };
}

describe("StopStringMatcher", () => {
  test("no stop strings: text passes through", () => {
    expect(run([], ["a", "b"])).toEqual({ out: ["a", "b"], stopped: false, flushed: "" });
  });

  test("holds back a possible start across deltas, then trims the stop string", () => {
    expect(run(["\nUser:"], ["Hi", " there\nUs", "er: more"])).toEqual({ out: ["Hi", " there", ""], stopped: true, flushed: "" });
  });

  test("releases held text when the candidate turns out not to be a stop", () => {
    expect(run(["END"], ["xE", "N", "d!"])).toEqual({ out: ["x", "", "ENd!"], stopped: false, flushed: "" });
  });

  test("flush returns text still held at the end", () => {
    expect(run(["END"], ["abcEN"])).toEqual({ out: ["abc"], stopped: false, flushed: "EN" });
  });

  test("the earliest of several stops wins; text after it is dropped", () => {
    expect(run(["cd", "b"], ["abcdef"])).toEqual({ out: ["a"], stopped: true, flushed: "" });
  });

  test("a stop string inside one delta, and nothing after stopping", () => {
    const m = new StopStringMatcher(["##"]);
    expect(m.push("one ## two")).toEqual({ text: "one ", stopped: true, stop: "##" });
    expect(m.push("three")).toEqual({ text: "", stopped: true });
    expect(m.flush()).toBe("");
  });

  test("holds back the longest partial match among overlapping stops", () => {
    const m = new StopStringMatcher(["abc", "bcd"]);
    expect(m.push("xab")).toEqual({ text: "x", stopped: false });
    expect(m.push("cz")).toEqual({ text: "", stopped: true, stop: "abc" });
  });

  test("multi-character unicode stops", () => {
    expect(run(["。"], ["你好", "。再见"])).toEqual({ out: ["你好", ""], stopped: true, flushed: "" });
  });

  test("empty stop strings are ignored", () => {
    expect(run([""], ["abc"])).toEqual({ out: ["abc"], stopped: false, flushed: "" });
  });
});
