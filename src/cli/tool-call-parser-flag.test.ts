import { describe, expect, test } from "bun:test";
import { parseServeArgs } from "./serve.ts";

describe("--tool-call-parser", () => {
  test("a known name is carried to the engine options", () => {
    expect(parseServeArgs({ port: "8000", "tool-call-parser": "mistral" }).toolCallParser).toBe("mistral");
    expect(parseServeArgs({ port: "8000" }).toolCallParser).toBeUndefined();
  });
  test("an unknown name is a start-up error listing the valid ones", () => {
    expect(() => parseServeArgs({ port: "8000", "tool-call-parser": "qwen" })).toThrow(
      "--tool-call-parser must be one of hermes, qwen3_coder, llama3_json, mistral, pythonic, openai (got 'qwen')",
    );
  });
});
