/**
 * `vllm-mlx chat --server-url URL`: the chat UI served from a small local server that forwards the API
 * routes the page uses to another OpenAI-compatible server, so the browser talks to one origin and CORS never
 * applies. The page's `Authorization` header is passed through; nothing is logged.
 */
import { type Context, Hono } from "hono";
import { ApiError } from "./errors.ts";
import { hostGuard } from "./guards.ts";
import { registerUiRoutes, type UiOptions } from "./ui.ts";

export interface UiProxyOptions {
  /** The server's base URL, with or without a trailing `/v1`, e.g. `http://localhost:8000`. */
  target: string;
  ui: UiOptions;
  /** Accepted `Host` values (a guard against DNS rebinding); absent: no check. */
  allowedHosts?: string[];
}

/** Request headers forwarded upstream, and response headers passed back. */
const REQUEST_HEADERS = ["authorization", "content-type", "accept", "x-request-id"];
const RESPONSE_HEADERS = ["content-type", "cache-control", "retry-after", "x-request-id"];

/**
 * The base URL requests are forwarded to: `http://h:8000/v1/` and `http://h:8000` both give `http://h:8000`.
 *
 * @example
 *   proxyTarget("http://localhost:8000/v1") // "http://localhost:8000"
 */
export function proxyTarget(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error(`--server-url must be http(s) (got '${url}')`);
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, "").replace(/\/v1$/, "")}`;
}

/**
 * Builds the proxy app.
 *
 * @example
 *   const app = createUiProxy({ target: "http://localhost:8000", ui: { load: uiLoader() } });
 *   Bun.serve({ port: 7860, fetch: app.fetch, idleTimeout: 0 });
 */
export function createUiProxy(options: UiProxyOptions): Hono {
  const target = proxyTarget(options.target);
  const app = new Hono();
  if (options.allowedHosts) app.use(hostGuard(options.allowedHosts));
  registerUiRoutes(app, options.ui);
  const forward = async (c: Context) => {
    const url = new URL(c.req.url);
    const headers = new Headers();
    for (const name of REQUEST_HEADERS) {
      const value = c.req.header(name);
      if (value !== undefined) headers.set(name, value);
    }
    const hasBody = c.req.method !== "GET" && c.req.method !== "HEAD";
    let upstream: Response;
    try {
      upstream = await fetch(`${target}${url.pathname}${url.search}`, {
        method: c.req.method,
        headers,
        body: hasBody ? await c.req.arrayBuffer() : null,
        signal: c.req.raw.signal,
        redirect: "manual",
      });
    } catch (e) {
      throw new ApiError(502, `cannot reach ${target}: ${(e as Error).message}`, { code: "upstream_unreachable" });
    }
    const back = new Headers();
    for (const name of RESPONSE_HEADERS) {
      const value = upstream.headers.get(name);
      if (value !== null) back.set(name, value);
    }
    return new Response(upstream.body, { status: upstream.status, headers: back });
  };
  for (const path of ["/v1/*", "/metrics", "/health", "/version"]) app.all(path, forward);
  app.onError((err, c) => {
    const error = err instanceof ApiError ? err : new ApiError(500, "proxy error", { code: "internal_error" });
    return c.json(error.toBody(), error.status);
  });
  return app;
}
