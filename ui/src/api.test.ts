import { afterEach, describe, expect, test } from "bun:test";
import { errorMessage, htmlSummary } from "./api-errors.ts";
import { Api, ApiError } from "./api.ts";

const NGINX_502 = `<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n`;
const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

/** Replaces fetch with `answer`, recording the paths asked. */
function mockFetch(answer: (path: string) => Response): string[] {
  const asked: string[] = [];
  globalThis.fetch = (async (input: RequestInfo | URL) => {
    asked.push(String(input));
    return answer(String(input));
  }) as typeof fetch;
  return asked;
}

describe("error messages", () => {
  test("an HTML error page is said as its status and title, never its markup", async () => {
    const html = { status: 502, statusText: "Bad Gateway", headers: { "Content-Type": "text/html" } };
    expect(await errorMessage(new Response(NGINX_502, html))).toBe("The server answered HTTP 502 Bad Gateway.");
    expect(await errorMessage(new Response(NGINX_502, { status: 502 }))).toBe("The server answered HTTP 502 Bad Gateway.");
    const cloudflare = "<!DOCTYPE html><html><head><title>example.com | 502: Bad gateway</title><style>body{}</style></head><body>x</body></html>";
    expect(await errorMessage(new Response(cloudflare, html))).toBe("The server answered HTTP 502 Bad Gateway: example.com | 502: Bad gateway");
    const untitled = "<body><script>var a = '<b>';</script><h1>Proxy error</h1><p>Upstream &amp; friends &#8212; down</p></body>";
    expect(await errorMessage(new Response(untitled, { status: 503 }))).toBe("The server answered HTTP 503: Proxy error Upstream & friends — down");
    expect(await errorMessage(new Response("<html><body></body></html>", html))).toBe("The server answered HTTP 502 Bad Gateway.");
  });

  test("OpenAI's error shape and plain text are kept as they were", async () => {
    const json = Response.json({ error: { message: "max_tokens is too large" } }, { status: 400, statusText: "Bad Request" });
    expect(await errorMessage(json)).toBe("max_tokens is too large (HTTP 400 Bad Request)");
    expect(await errorMessage(new Response("upstream timed out", { status: 504 }))).toBe("upstream timed out (HTTP 504)");
  });

  test("a long page is cut to 160 characters", () => {
    const summary = htmlSummary(`<p>${"word ".repeat(100)}</p>`);
    expect(summary.length).toBe(160);
    expect(summary.endsWith("…")).toBe(true);
  });

  test("a chat request answered by a proxy's 502 page fails with that sentence", async () => {
    mockFetch(() => new Response(NGINX_502, { status: 502, statusText: "Bad Gateway", headers: { "Content-Type": "text/html" } }));
    const api = new Api(() => null);
    const failed = api.streamChat({ model: "m", messages: [], temperature: 1, top_p: 1 }, new AbortController().signal, () => {});
    await expect(failed).rejects.toBeInstanceOf(ApiError);
    await expect(failed).rejects.toThrow(/^The server answered HTTP 502 Bad Gateway\.$/);
  });
});

describe("metrics", () => {
  test("after a 404, /metrics is not asked again", async () => {
    const asked = mockFetch(() => new Response("not found", { status: 404 }));
    const api = new Api(() => null);
    expect(api.metricsServed).toBe(true);
    expect(await api.metrics()).toBeNull();
    expect(await api.metrics()).toBeNull();
    expect(await api.metrics()).toBeNull();
    expect(asked).toEqual(["/metrics"]);
    expect(api.metricsServed).toBe(false);
  });

  test("another failure (a proxy's 502) is asked again; gauges are read from Prometheus text", async () => {
    let status = 502;
    const asked = mockFetch(() => new Response(status === 200 ? "vllm_mlx_kv_cache_usage_ratio 0.25\n# HELP x\n" : "", { status }));
    const api = new Api(() => null);
    expect(await api.metrics()).toBeNull();
    status = 200;
    expect(await api.metrics()).toEqual({ vllm_mlx_kv_cache_usage_ratio: 0.25 });
    expect(asked).toEqual(["/metrics", "/metrics"]);
    expect(api.metricsServed).toBe(true);
  });
});
