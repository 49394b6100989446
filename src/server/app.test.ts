import { describe, expect, test } from "bun:test";
import { CapacityError, ContextLengthError, InvalidRequestError } from "../engine/protocol.ts";
import { FakeEngine } from "./testing/fake-engine.ts";
import { chatBody, post, readSse, request, type TestResponse, testApp } from "./testing/helpers.ts";

describe("info routes", () => {
  test("GET /v1/models lists the served model", async () => {
    const body = await (await request(testApp().app, "/v1/models")).json();
    expect(body.object).toBe("list");
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({ id: "test-model", object: "model", owned_by: "vllm-mlx", root: "fake-org/fake-model", max_model_len: 4096 });
    expect(typeof body.data[0].created).toBe("number");
  });
  test("GET /v1/models/{id} finds the served name and the id with a slash", async () => {
    const { app } = testApp();
    expect((await (await request(app, "/v1/models/test-model")).json()).id).toBe("test-model");
    expect((await (await request(app, "/v1/models/fake-org/fake-model")).json()).id).toBe("fake-org/fake-model");
  });
  test("GET /v1/models/{unknown} is 404 model_not_found", async () => {
    const res = await request(testApp().app, "/v1/models/other");
    expect(res.status).toBe(404);
    expect((await res.json()).error).toMatchObject({ code: "model_not_found", param: "model", type: "invalid_request_error" });
  });
  test("GET /health reports load state and engine stats", async () => {
    const res = await request(testApp().app, "/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", model: "fake-org/fake-model", load_state: "ready", stats: { running: 0, waiting: 0, capacity: 8 } });
  });
  test("GET /health is 503 while loading", async () => {
    const res = await request(testApp(new FakeEngine(undefined, { loadState: "loading" })).app, "/health");
    expect(res.status).toBe(503);
    expect((await res.json()).status).toBe("loading");
  });
  test("GET /version", async () => {
    expect(await (await request(testApp().app, "/version")).json()).toEqual({ version: "0.1.0" });
  });
});

describe("errors have OpenAI's exact shape", () => {
  async function error(res: TestResponse) {
    const body = await res.json();
    expect(Object.keys(body)).toEqual(["error"]);
    expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
    return body.error;
  }
  test("404 unknown route", async () => {
    const res = await request(testApp().app, "/v1/nope");
    expect(res.status).toBe(404);
    expect(await error(res)).toEqual({ message: "no route for GET /v1/nope", type: "invalid_request_error", param: null, code: "not_found" });
  });
  test("404 unknown model", async () => {
    const res = await post(testApp().app, "/v1/chat/completions", chatBody({ model: "gpt-4" }));
    expect(res.status).toBe(404);
    expect(await error(res)).toMatchObject({ param: "model", code: "model_not_found" });
  });
  test("400 invalid JSON", async () => {
    const res = await post(testApp().app, "/v1/chat/completions", "{not json");
    expect(res.status).toBe(400);
    expect(await error(res)).toMatchObject({ code: "invalid_json", type: "invalid_request_error" });
  });
  test("400 for a JSON array, a string, and an empty body", async () => {
    for (const body of ["[1,2]", '"x"', ""]) {
      const res = await post(testApp().app, "/v1/completions", body);
      expect(res.status).toBe(400);
      await error(res);
    }
  });
  test("400 deeply nested JSON does not crash", async () => {
    const deep = `${"[".repeat(100000)}${"]".repeat(100000)}`;
    const res = await post(testApp().app, "/v1/chat/completions", `{"messages":${deep}}`);
    expect(res.status).toBe(400);
  });
  test("401 without and with a wrong Bearer; /health stays open", async () => {
    const { app } = testApp(undefined, { apiKey: "sk-test" });
    const missing = await post(app, "/v1/chat/completions", chatBody());
    expect(missing.status).toBe(401);
    expect(await error(missing)).toMatchObject({ code: "invalid_api_key", type: "invalid_request_error" });
    const wrong = await post(app, "/v1/chat/completions", chatBody(), { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    expect((await request(app, "/v1/models")).status).toBe(401);
    const ok = await post(app, "/v1/chat/completions", chatBody(), { headers: { authorization: "Bearer sk-test" } });
    expect(ok.status).toBe(200);
    expect((await request(app, "/health")).status).toBe(200);
  });
  test("413 body over the limit", async () => {
    const { app, engine } = testApp(undefined, { maxBodyBytes: 1024 });
    const res = await post(app, "/v1/chat/completions", chatBody({ messages: [{ role: "user", content: "x".repeat(5000) }] }));
    expect(res.status).toBe(413);
    expect(await error(res)).toMatchObject({ code: "request_too_large" });
    expect(engine.requests).toHaveLength(0);
  });
  test("413 huge body with the default 32 MiB limit", async () => {
    const res = await post(testApp().app, "/v1/completions", { prompt: "x".repeat(33 * 1024 * 1024) });
    expect(res.status).toBe(413);
  });
  test("400 context_length_exceeded for a ContextLengthError, worded as OpenAI and vLLM word it", async () => {
    const { app } = testApp(new FakeEngine(() => ({ throwBeforeStart: new ContextLengthError(5000, 4096) })));
    const res = await post(app, "/v1/chat/completions", chatBody({ stream: true }));
    expect(res.status).toBe(400);
    expect(await error(res)).toEqual({
      message: "This model's maximum context length is 4096 tokens. However, your prompt has 5000 tokens, which leaves " +
        "no room for a completion. Please reduce the length of the prompt.",
      type: "invalid_request_error",
      param: "messages",
      code: "context_length_exceeded",
    });
  });
  test("a request the engine refuses at submit leaves no live generation behind", async () => {
    const { app } = testApp(new FakeEngine(() => ({ throwBeforeStart: new ContextLengthError(5000, 4096) })));
    expect((await post(app, "/v1/chat/completions", chatBody())).status).toBe(400);
    expect((await post(app, "/v1/completions", { prompt: "x" })).status).toBe(400);
    expect(app.inflight.size).toBe(0);
  });
  test("429 CapacityError with Retry-After", async () => {
    const { app } = testApp(new FakeEngine(() => ({ throwBeforeStart: new CapacityError("queue full", 429, 2) })));
    const res = await post(app, "/v1/completions", { prompt: "x" });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(await error(res)).toEqual({ message: "queue full", type: "rate_limit_error", param: null, code: "rate_limit_exceeded" });
  });
  test("503 CapacityError and 503 while the model loads", async () => {
    const { app, logger } = testApp(new FakeEngine(() => ({ throwBeforeStart: new CapacityError("out of memory", 503) })));
    const res = await post(app, "/v1/chat/completions", chatBody());
    expect(res.status).toBe(503);
    expect(await error(res)).toMatchObject({ type: "server_error", code: "service_unavailable" });
    // The load's answer, not a fault: a warning with its reason, no error line.
    expect(logger.lines.filter((l) => !l.startsWith("info"))).toEqual([expect.stringMatching(/^warn req-\S+ POST \/v1\/chat\/completions: 503 out of memory$/)]);
    const loading = await post(testApp(new FakeEngine(undefined, { loadState: "loading" })).app, "/v1/chat/completions", chatBody());
    expect(loading.status).toBe(503);
    expect((await error(loading)).code).toBe("model_not_ready");
  });
  test("400 InvalidRequestError carries its param", async () => {
    const { app } = testApp(new FakeEngine(() => ({ throwBeforeStart: new InvalidRequestError("images are not supported", "messages[0].content") })));
    const res = await post(app, "/v1/chat/completions", chatBody());
    expect(res.status).toBe(400);
    expect(await error(res)).toMatchObject({ message: "images are not supported", param: "messages[0].content" });
  });
  test("500 hides internals", async () => {
    const { app, logger } = testApp(new FakeEngine(() => ({ throwBeforeStart: new Error("/secret/path exploded") })));
    const res = await post(app, "/v1/chat/completions", chatBody());
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain("secret");
    expect(JSON.parse(text)).toEqual({ error: { message: "internal server error", type: "server_error", param: null, code: "internal_error" } });
    expect(logger.lines.some((l) => l.startsWith("error"))).toBe(true);
  });
});

describe("CORS", () => {
  test("allowed origin gets the header; preflight answers", async () => {
    const { app } = testApp(undefined, { allowedOrigins: ["http://ui.local"] });
    const res = await request(app, "/v1/models", { headers: { origin: "http://ui.local" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("http://ui.local");
    const preflight = await request(app, "/v1/chat/completions", {
      method: "OPTIONS",
      headers: { origin: "http://ui.local", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(204);
  });
  test("no CORS headers without allowedOrigins", async () => {
    const res = await request(testApp().app, "/v1/models", { headers: { origin: "http://ui.local" } });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("cancellation and concurrency", () => {
  test("aborting the request signal aborts the engine (streaming)", async () => {
    const { app, engine } = testApp(new FakeEngine(() => ({ outputs: [Array(1000).fill("t")], tokenDelayMs: 10 })));
    const controller = new AbortController();
    const res = await post(app, "/v1/chat/completions", chatBody({ stream: true }), { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    const aborted = engine.nextAbort();
    controller.abort();
    await reader.cancel();
    await aborted;
    expect(engine.aborted).toEqual([engine.requests[0]!.requestId]);
    await Bun.sleep(20);
    expect(engine.running).toBe(0);
  });
  test("cancelling the response body alone aborts the engine", async () => {
    const { app, engine } = testApp(new FakeEngine(() => ({ outputs: [Array(1000).fill("t")], tokenDelayMs: 10 })));
    const res = await post(app, "/v1/chat/completions", chatBody({ stream: true }));
    const reader = res.body!.getReader();
    await reader.read();
    const aborted = engine.nextAbort();
    await reader.cancel();
    await aborted;
    expect(engine.aborted).toHaveLength(1);
  });
  test("aborting a non-streamed request aborts the engine", async () => {
    const { app, engine } = testApp(new FakeEngine(() => ({ outputs: [Array(1000).fill("t")], tokenDelayMs: 10 })));
    const controller = new AbortController();
    const pending = post(app, "/v1/completions", { prompt: "x" }, { signal: controller.signal }).catch(() => null);
    await Bun.sleep(30);
    controller.abort();
    await pending;
    await Bun.sleep(20);
    expect(engine.aborted).toHaveLength(1);
  });
  test("/health answers while a slow stream runs", async () => {
    const { app, engine } = testApp(new FakeEngine(() => ({ firstTokenDelayMs: 300 })));
    const res = await post(app, "/v1/chat/completions", chatBody({ stream: true }));
    const streaming = readSse(res);
    const started = performance.now();
    const health = await (await request(app, "/health")).json();
    expect(performance.now() - started).toBeLessThan(100);
    expect(health.stats.running).toBe(1);
    expect((await streaming).done).toBe(true);
    expect(engine.running).toBe(0);
  });
  test("generations are tracked and released", async () => {
    const { app } = testApp(new FakeEngine(() => ({ firstTokenDelayMs: 50 })));
    const pending = post(app, "/v1/completions", { prompt: "x" });
    await Bun.sleep(10);
    expect(app.inflight.size).toBe(1);
    await pending;
    expect(app.inflight.size).toBe(0);
  });
});
