/** Bearer-token check for the API routes when an API key is configured. */
import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors.ts";

function digest(value: string): Uint8Array {
  return new Bun.CryptoHasher("sha256").update(value).digest();
}

function sameSecret(a: string, b: string): boolean {
  const x = digest(a);
  const y = digest(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/**
 * Rejects requests without `Authorization: Bearer <apiKey>` (or `x-api-key: <apiKey>`) with 401 (compared in constant time), except on
 * `publicPaths` (exact paths, or prefixes written `/ui/*`).
 *
 * @example
 *   app.use(requireApiKey("sk-local", ["/health"]));
 */
export function requireApiKey(apiKey: string, publicPaths: readonly string[] = []): MiddlewareHandler {
  const open = new Set(publicPaths.filter((p) => !p.endsWith("/*")));
  const prefixes = publicPaths.filter((p) => p.endsWith("/*")).map((p) => p.slice(0, -1));
  return async (c, next) => {
    if (open.has(c.req.path) || prefixes.some((p) => c.req.path.startsWith(p))) return next();
    const header = c.req.header("authorization") ?? "";
    // Anthropic's clients send the key as `x-api-key`.
    const key = /^Bearer\s+(.+)$/i.exec(header.trim())?.[1] ?? c.req.header("x-api-key");
    if (key === undefined) {
      throw new ApiError(401, "missing API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'", { code: "invalid_api_key" });
    }
    if (!sameSecret(key, apiKey)) throw new ApiError(401, "invalid API key", { code: "invalid_api_key" });
    await next();
  };
}
