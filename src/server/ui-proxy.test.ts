import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FakeEngine } from "./testing/fake-engine.ts";
import { testApp } from "./testing/helpers.ts";
import { createUiProxy, proxyTarget } from "./ui-proxy.ts";

const engine = new FakeEngine(() => ({ outputs: [["Hel", "lo", "!"]], tokenDelayMs: 5 }));
let upstream: ReturnType<typeof Bun.serve>;
const page = { path: "/", contentType: "text/html; charset=utf-8", body: new TextEncoder().encode("<p>chat</p>"), immutable: false };

beforeAll(() => {
  const { app } = testApp(engine, { apiKey: "sk-up" });
  upstream = Bun.serve({ port: 0, fetch: app.fetch });
});
afterAll(() => upstream.stop(true));

function proxy(target = `http://127.0.0.1:${upstream.port}/v1/`) {
  return createUiProxy({ target, ui: { load: async () => [page], defaults: { textOnly: true, maxTokens: 2048, temperature: 0.7 } }, allowedHosts: ["localhost:7860"] });
}

describe("UI proxy (vllm-mlx chat --server-url)", () => {
  test("proxyTarget drops a trailing /v1 and slashes; refuses other schemes", () => {
    expect(proxyTarget("http://localhost:8000/v1/")).toBe("http://localhost:8000");
    expect(proxyTarget("https://h.example/api/v1")).toBe("https://h.example/api");
    expect(() => proxyTarget("file:///etc/passwd")).toThrow("http(s)");
  });

  test("serves the page and the chat's defaults itself", async () => {
    const app = proxy();
    expect(await (await app.request("http://localhost:7860/")).text()).toBe("<p>chat</p>");
    expect(await (await app.request("http://localhost:7860/ui/config.json")).json()).toEqual({ textOnly: true, maxTokens: 2048, temperature: 0.7 });
  });

  test("forwards the API with the page's Authorization, and streams the answer back", async () => {
    const app = proxy();
    expect((await app.request("http://localhost:7860/v1/models")).status).toBe(401);
    const auth = { Authorization: "Bearer sk-up" };
    const models = await app.request("http://localhost:7860/v1/models", { headers: auth });
    expect(models.status).toBe(200);
    expect(((await models.json()) as { data: { id: string }[] }).data[0]!.id).toBe("test-model");
    const res = await app.request("http://localhost:7860/v1/chat/completions", {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({ model: "test-model", messages: [{ role: "user", content: "hi" }], stream: true }),
    });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const text = await res.text();
    const content = [...text.matchAll(/"content":"([^"]*)"/g)].map((m) => m[1]).join("");
    expect(content).toBe("Hello!");
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    const metrics = await app.request("http://localhost:7860/metrics", { headers: auth });
    expect(await metrics.text()).toContain("vllm_mlx_generation_tokens_total");
  });

  test("another Host is refused (DNS rebinding), an unreachable server is a readable 502", async () => {
    const rebound = await proxy().request("http://evil.example:7860/v1/models", { headers: { Host: "evil.example:7860" } });
    expect(rebound.status).toBe(421);
    const dead = Bun.serve({ port: 0, fetch: () => new Response() });
    const port = dead.port;
    dead.stop(true);
    const res = await proxy(`http://127.0.0.1:${port}`).request("http://localhost:7860/v1/models");
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(`cannot reach http://127.0.0.1:${port}`);
  });
});
