import { describe, expect, test } from "bun:test";
import { chatBody, post, testApp } from "../testing/helpers.ts";
import { jsonDepthExceeds } from "./json-depth.ts";

describe("jsonDepthExceeds", () => {
  test("counts arrays and objects, not brackets inside strings or after escapes", () => {
    expect(jsonDepthExceeds('{"a":[[1]]}', 3)).toBe(false);
    expect(jsonDepthExceeds('{"a":[[1]]}', 2)).toBe(true);
    expect(jsonDepthExceeds('{"a":"[[[[[["}', 1)).toBe(false);
    expect(jsonDepthExceeds('{"a":"\\"[[[[[["}', 1)).toBe(false);
    expect(jsonDepthExceeds('{"a":"\\\\"}', 1)).toBe(false);
    expect(jsonDepthExceeds('[{},{},{}]', 2)).toBe(false);
  });
  test("a million levels are scanned without recursion", () => {
    const deep = `${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}`;
    expect(jsonDepthExceeds(deep, 64)).toBe(true);
    expect(jsonDepthExceeds(deep, 1_000_000)).toBe(false);
  });
});

describe("request bodies", () => {
  const nested = (levels: number) => `{"messages":[{"role":"user","content":"hi"}],"x":${"[".repeat(levels)}${"]".repeat(levels)}}`;
  test("64 levels pass; 65 are a 400 before parsing", async () => {
    const { app, engine } = testApp();
    expect((await post(app, "/v1/chat/completions", nested(63))).status).toBe(200);
    const res = await post(app, "/v1/chat/completions", nested(64));
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ type: "invalid_request_error", code: "invalid_json" });
    expect(engine.requests).toHaveLength(1);
  });
  test("malformed JSON, NaN and Infinity are a 400 invalid_request_error", async () => {
    const { app, engine } = testApp();
    for (const body of ['{"messages":', '{"temperature":NaN}', '{"temperature":Infinity}', "{'a':1}"]) {
      const res = await post(app, "/v1/chat/completions", body);
      expect(res.status).toBe(400);
      expect((await res.json()).error).toMatchObject({ type: "invalid_request_error", code: "invalid_json" });
    }
    expect((await post(app, "/v1/chat/completions", chatBody())).status).toBe(200);
    expect(engine.requests).toHaveLength(1);
  });
});
