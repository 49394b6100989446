/**
 * Specs are built off the HTTP thread within a time limit: a spec whose grammar takes xgrammar minutes is refused
 * as a 400 and never stops this thread; good and bad specs keep their answers.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { SpecChecker } from "./spec-check.ts";
import { StructuredOutputError } from "./spec.ts";
import { requestSpec } from "./request-spec.ts";
import type { GenerateRequest } from "../protocol.ts";

/** 30 characters that xgrammar takes about 45 s and 600 MB to build (on the caller's thread before the check moved). */
const SLOW_REGEX = "((a{1,1000}){1,1000}){1,300}";

const checker = new SpecChecker(1_000);
afterAll(() => checker.close());

describe("SpecChecker", () => {
  test("a good spec passes and a bad one is refused with xgrammar's reason and its param", async () => {
    await checker.check({ type: "regex", pattern: "[0-9]{3}-[a-z]+" });
    const error = await checker.check({ type: "regex", pattern: "(?<=a)b" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StructuredOutputError);
    expect((error as StructuredOutputError).param).toBe("structured_outputs.regex");
    expect((error as Error).message).toContain("ookbehind");
  });

  test("a spec that builds too long is refused within the limit while this thread keeps running", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 50);
    const started = performance.now();
    const error = await checker.check({ type: "regex", pattern: SLOW_REGEX }).catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    clearInterval(timer);
    expect(error).toBeInstanceOf(StructuredOutputError);
    expect((error as StructuredOutputError).param).toBe("structured_outputs.regex");
    expect((error as Error).message).toBe("structured_outputs.regex: the constraint is too complex (its grammar took more than 1 s to build)");
    expect(elapsed).toBeGreaterThanOrEqual(1_000);
    expect(elapsed).toBeLessThan(3_000);
    // This thread was free all along: a 50 ms timer ticked through the second.
    expect(ticks).toBeGreaterThanOrEqual(10);
    // The next spec gets a fresh thread and its own answer.
    await checker.check({ type: "choice", choices: ["yes", "no"] });
  }, 10_000);

  test("checks queued behind a slow one each get their own limit and answer", async () => {
    const slow = checker.check({ type: "regex", pattern: SLOW_REGEX }).then(() => "ok", (e: Error) => e.message);
    const good = checker.check({ type: "json_schema", schema: { type: "integer", minimum: 0 } }).then(() => "ok", (e: Error) => e.message);
    expect(await slow).toContain("too complex");
    expect(await good).toBe("ok");
  }, 10_000);
});

test("requestSpec refuses the slow regex as a 400 (InvalidRequestError) without holding this thread", async () => {
  const request = {
    kind: "chat", requestId: "r", messages: [{ role: "user", content: "hi" }],
    sampling: { n: 1 }, structured: { type: "regex", pattern: SLOW_REGEX },
  } as unknown as GenerateRequest;
  let ticks = 0;
  const timer = setInterval(() => ticks++, 100);
  const started = performance.now();
  const error = await requestSpec(request, "hermes").catch((e: unknown) => e);
  clearInterval(timer);
  expect((error as Error).name).toBe("InvalidRequestError");
  expect((error as Error).message).toContain("structured_outputs.regex: the constraint is too complex");
  expect(performance.now() - started).toBeLessThan(10_000);
  expect(ticks).toBeGreaterThanOrEqual(20);
}, 20_000);
