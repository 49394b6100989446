import { describe, expect, test } from "bun:test";
import { defaultAllowedHosts } from "./guards.ts";
import { chatBody, post, request, testApp } from "./testing/helpers.ts";

describe("Host check (DNS rebinding)", () => {
  test("defaults: the bound address and localhost with the port; any Host on every interface", () => {
    expect(defaultAllowedHosts("127.0.0.1", 8000)).toEqual(["127.0.0.1:8000", "localhost:8000", "[::1]:8000"]);
    expect(defaultAllowedHosts("::1", 8000)).toEqual(["[::1]:8000", "127.0.0.1:8000", "localhost:8000"]);
    expect(defaultAllowedHosts("192.168.1.5", 9000)).toEqual(["192.168.1.5:9000", "localhost:9000"]);
    expect(defaultAllowedHosts("0.0.0.0", 8000)).toEqual(["*"]);
    expect(defaultAllowedHosts("::", 8000)).toEqual(["*"]);
  });
  test("a foreign Host is a 421 in OpenAI's shape and never reaches the engine", async () => {
    const { app, engine } = testApp(undefined, { allowedHosts: defaultAllowedHosts("127.0.0.1", 8000) });
    for (const host of ["evil.example:8000", "127.0.0.1:8001", "evil.example", "attacker.localhost:8000"]) {
      const res = await post(app, "/v1/chat/completions", chatBody(), { headers: { host } });
      expect(res.status).toBe(421);
      expect((await res.json()).error).toMatchObject({ code: "host_not_allowed", type: "invalid_request_error", param: null });
    }
    expect(engine.requests).toHaveLength(0);
    // A Host without a port is matched by its name (raw clients send `Host: 127.0.0.1`).
    for (const host of ["127.0.0.1:8000", "LOCALHOST:8000", "localhost.:8000", "[::1]:8000", "127.0.0.1", "localhost"]) {
      expect((await request(app, "/v1/models", { headers: { host } })).status).toBe(200);
    }
  });
  test("--allowed-hosts entries: a name allows any port, * allows anything", async () => {
    const named = testApp(undefined, { allowedHosts: ["llm.internal"] }).app;
    expect((await request(named, "/v1/models", { headers: { host: "llm.internal:1234" } })).status).toBe(200);
    expect((await request(named, "/v1/models", { headers: { host: "other.internal:1234" } })).status).toBe(421);
    const any = testApp(undefined, { allowedHosts: ["*"] }).app;
    expect((await request(any, "/v1/models", { headers: { host: "whatever.example" } })).status).toBe(200);
  });
});

describe("Content-Type on POST", () => {
  test("anything but application/json is a 415", async () => {
    const { app, engine } = testApp();
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", ""]) {
      const res = await request(app, "/v1/chat/completions", {
        method: "POST",
        headers: type ? { "content-type": type } : {},
        body: JSON.stringify(chatBody()),
      });
      expect(res.status).toBe(415);
      expect((await res.json()).error).toMatchObject({ code: "unsupported_media_type", type: "invalid_request_error" });
    }
    expect(engine.requests).toHaveLength(0);
  });
  test("application/json with parameters, in any case, is accepted", async () => {
    const { app } = testApp();
    for (const type of ["application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8"]) {
      expect((await post(app, "/v1/completions", { prompt: "x" }, { headers: { "content-type": type } })).status).toBe(200);
    }
  });
});

describe("methods", () => {
  test("GET on a POST route is a 405 with Allow", async () => {
    const { app } = testApp();
    for (const path of ["/v1/chat/completions", "/v1/completions"]) {
      const res = await request(app, path);
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
      expect((await res.json()).error).toMatchObject({ code: "method_not_allowed", type: "invalid_request_error" });
    }
    const res = await request(app, "/v1/models", { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET");
    expect((await request(app, "/v1/nothing-here")).status).toBe(404);
  });
});

describe("API key", () => {
  const KEY = { authorization: "Bearer sk-test" };
  test("every route needs the key except /health", async () => {
    const { app } = testApp(undefined, { apiKey: "sk-test" });
    for (const path of ["/v1/models", "/v1/models/test-model", "/version", "/metrics", "/openapi.json", "/nope"]) {
      const res = await request(app, path);
      expect([path, res.status]).toEqual([path, 401]);
      expect((await res.json()).error.code).toBe("invalid_api_key");
    }
    expect((await request(app, "/version", { headers: KEY })).status).toBe(200);
    expect((await request(app, "/metrics", { headers: KEY })).status).toBe(200);
    expect((await request(app, "/health")).status).toBe(200);
  });
  test("metricsPublic opens /metrics alone", async () => {
    const { app } = testApp(undefined, { apiKey: "sk-test", metricsPublic: true });
    expect((await request(app, "/metrics")).status).toBe(200);
    expect((await request(app, "/version")).status).toBe(401);
  });
});

describe("body size", () => {
  test("maxBodyBytes is the 413 limit", async () => {
    const { app } = testApp(undefined, { maxBodyBytes: 100 });
    const res = await post(app, "/v1/completions", { prompt: "x".repeat(200) });
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe("request_too_large");
    expect((await post(app, "/v1/completions", { prompt: "x" })).status).toBe(200);
  });
});
