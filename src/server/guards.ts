/**
 * Checks that run before any route: the `Host` header (DNS rebinding), a JSON `Content-Type` on POST
 * (a cross-origin page can POST `text/plain` without a CORS preflight), and 405 for a known path's other methods.
 */
import type { Hono, MiddlewareHandler } from "hono";
import { ApiError } from "./errors.ts";
import type { AppEnv } from "./routes/context.ts";

/** Addresses that mean "every interface": any Host is accepted there unless `--allowed-hosts` says otherwise. */
const ANY_INTERFACE = new Set(["0.0.0.0", "::", "[::]", ""]);
const LOOPBACK = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

function bracketed(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/**
 * The Host values a server bound to `host:port` answers by default: that address and `localhost` (every
 * loopback spelling when bound to loopback), with the port; `["*"]` (any) when bound to every interface.
 *
 * @example
 *   defaultAllowedHosts("127.0.0.1", 8000) // ["127.0.0.1:8000", "localhost:8000", "[::1]:8000"]
 */
export function defaultAllowedHosts(host: string, port: number): string[] {
  const name = host.toLowerCase();
  if (ANY_INTERFACE.has(name)) return ["*"];
  const names = LOOPBACK.has(name) ? ["127.0.0.1", "localhost", "[::1]"] : [name, "localhost"];
  const ordered = [bracketed(name), ...names.filter((n) => n !== bracketed(name) && n !== name)];
  return ordered.map((n) => `${n}:${port}`);
}

/** `example.com:8000` -> ["example.com", "8000"]; `[::1]` -> ["[::1]", null]. */
function splitHost(value: string): [string, string | null] {
  const v = value.trim().toLowerCase();
  const close = v.startsWith("[") ? v.indexOf("]") : -1;
  const colon = v.indexOf(":", close + 1);
  if (colon < 0) return [v.replace(/\.$/, ""), null];
  return [v.slice(0, colon).replace(/\.$/, ""), v.slice(colon + 1)];
}

/**
 * Rejects a `Host` header not in `allowed` with 421 (Misdirected Request) in OpenAI's shape. Entries are
 * `name` (any port) or `name:port`; `*` allows any; a Host without a port is matched by its name. A request without `Host` (HTTP/1.0) passes: browsers,
 * the clients DNS rebinding abuses, always send one.
 *
 * @example
 *   app.use(hostGuard(defaultAllowedHosts("127.0.0.1", 8000)));
 */
export function hostGuard(allowed: readonly string[]): MiddlewareHandler {
  const anyHost = allowed.includes("*");
  const entries = allowed.map(splitHost);
  return async (c, next) => {
    const header = c.req.header("host");
    if (!anyHost && header !== undefined) {
      const [name, port] = splitHost(header);
      // A Host without a port names no other server: the name is what DNS rebinding changes.
      if (!entries.some(([n, p]) => n === name && (p === null || port === null || p === port))) {
        throw new ApiError(421, "this server does not answer for the requested Host; pass --allowed-hosts to add it", {
          code: "host_not_allowed",
        });
      }
    }
    await next();
  };
}

const JSON_MEDIA_TYPE = /^application\/json\s*(;|$)/i;

/**
 * Answers a POST whose `Content-Type` is not `application/json` (parameters such as `; charset=utf-8` allowed)
 * with 415.
 *
 * @example
 *   app.use(requireJsonBody());
 */
export function requireJsonBody(): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === "POST" && !JSON_MEDIA_TYPE.test(c.req.header("content-type")?.trim() ?? "")) {
      throw new ApiError(415, "Content-Type must be application/json", { param: null, code: "unsupported_media_type" });
    }
    await next();
  };
}

/**
 * For every path registered so far, answers its other methods with 405 and an `Allow` header. Call it after
 * the routes are registered.
 *
 * @example
 *   registerRoutes(app); answerOtherMethods(app);
 */
export function answerOtherMethods(app: Hono<AppEnv>): void {
  const methods = new Map<string, Set<string>>();
  for (const route of app.routes) {
    if (route.method === "ALL") continue;
    const set = methods.get(route.path) ?? new Set<string>();
    set.add(route.method);
    methods.set(route.path, set);
  }
  for (const [path, allowed] of methods) {
    const allow = [...allowed].join(", ");
    app.all(path, (c) => {
      throw new ApiError(405, `${c.req.method} is not allowed here; use ${allow}`, {
        code: "method_not_allowed",
        headers: { Allow: allow },
      });
    });
  }
}
