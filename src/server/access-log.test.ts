import { describe, expect, test } from "bun:test";
import { logSafe } from "./log-safe.ts";
import { FakeEngine } from "./testing/fake-engine.ts";
import { chatBody, post, request, testApp } from "./testing/helpers.ts";

describe("logSafe", () => {
  test("escapes control, format and separator characters and backslashes; keeps printable text", () => {
    expect(logSafe("/a\nb\r\tc\u001b[31m\u0000\u007f\u0085")).toBe("/a\\nb\\r\\tc\\x1b[31m\\x00\\x7f\\x85");
    expect(logSafe("x\u202ey\u2028z\u200b")).toBe("x\\u202ey\\u2028z\\u200b");
    expect(logSafe("\\x1b")).toBe("\\\\x1b");
    expect(logSafe("/v1/models/héllo wörld")).toBe("/v1/models/héllo wörld");
  });
});

describe("access log lines carry no raw client control characters", () => {
  test("a path with %0A, %0D and ESC stays on one escaped line", async () => {
    const { app, logger } = testApp();
    await request(app, "/v1/models/a%0Ainfo%20forged%0Db%1B[31m");
    expect(logger.lines).toHaveLength(1);
    const line = logger.lines[0]!;
    expect(line).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(line).toContain("GET /v1/models/a\\ninfo forged\\rb\\x1b[31m 404");
  });
  test("a client X-Request-Id is kept only when short and of a safe charset", async () => {
    const { app, logger } = testApp();
    const ok = await request(app, "/health", { headers: { "x-request-id": "client-42_A=" } });
    expect(ok.headers.get("x-request-id")).toBe("client-42_A=");
    for (const id of ["bad id", "a;b", "x".repeat(129), "é"]) {
      const res = await request(app, "/health", { headers: { "x-request-id": id } });
      expect(res.headers.get("x-request-id")).toMatch(/^req-[0-9a-f]{8}$/);
    }
    expect(logger.lines[0]!.startsWith("info client-42_A= GET /health 200")).toBe(true);
    expect(logger.lines.slice(1).every((l) => /^info req-[0-9a-f]{8} GET \/health 200/.test(l))).toBe(true);
  });
});

describe("a non-streamed request whose client left", () => {
  test("is logged and counted as 499", async () => {
    const { app, engine, logger } = testApp(new FakeEngine(() => ({ outputs: [Array(1000).fill("t")], tokenDelayMs: 5 })));
    const controller = new AbortController();
    const pending = post(app, "/v1/chat/completions", chatBody(), { signal: controller.signal }).catch(() => null);
    await Bun.sleep(30);
    const aborted = engine.nextAbort();
    controller.abort();
    await aborted;
    await pending;
    await Bun.sleep(20);
    expect(logger.lines.filter((l) => l.includes("POST /v1/chat/completions"))).toEqual([
      expect.stringMatching(/^info req-[0-9a-f]{8} POST \/v1\/chat\/completions 499 /),
    ]);
    const metrics = await (await request(app, "/metrics")).text();
    expect(metrics).toContain('vllm_mlx_requests_total{status="499"} 1');
    expect(metrics).not.toContain('vllm_mlx_requests_total{status="200"}');
  });
});

describe("the tokens of a request ended early still count", () => {
  const completionOf = (line: string) => Number(/ completion=(\d+)/.exec(line)![1]);
  const generated = async (app: Parameters<typeof request>[0]) =>
    Number(/^vllm_mlx_generation_tokens_total (\d+)$/m.exec(await (await request(app, "/metrics")).text())![1]);

  test("a non-streamed request whose client left logs and counts the tokens generated before it left", async () => {
    const { app, engine, logger } = testApp(new FakeEngine(() => ({ outputs: [Array(1000).fill("t")], tokenDelayMs: 5 })));
    const controller = new AbortController();
    const pending = post(app, "/v1/chat/completions", chatBody(), { signal: controller.signal }).catch(() => null);
    await Bun.sleep(60);
    const aborted = engine.nextAbort();
    controller.abort();
    await aborted;
    await pending;
    await Bun.sleep(20);
    const line = logger.lines.find((l) => l.includes("POST /v1/chat/completions 499"))!;
    const completion = completionOf(line);
    expect(completion).toBeGreaterThan(0);
    expect(completion).toBeLessThan(1000);
    expect(await generated(app)).toBe(completion);
  });

  test("a stream cancelled after 5 chunks logs and counts at least the 5 tokens its client read", async () => {
    const { app, engine, logger } = testApp(new FakeEngine(() => ({ outputs: [Array(1000).fill("t")], tokenDelayMs: 5 })));
    const res = await post(app, "/v1/chat/completions", chatBody({ stream: true }));
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while ((text.match(/"content":"t"/g) ?? []).length < 5) text += decoder.decode((await reader.read()).value!, { stream: true });
    const aborted = engine.nextAbort();
    await reader.cancel();
    await aborted;
    await Bun.sleep(30);
    const line = logger.lines.find((l) => l.includes("POST /v1/chat/completions 499"))!;
    const completion = completionOf(line);
    expect(completion).toBeGreaterThanOrEqual(5);
    expect(completion).toBeLessThan(1000);
    expect(await generated(app)).toBe(completion);
  });
});
