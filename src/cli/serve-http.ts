/** `serve`'s HTTP-layer flags: idle timeout, connection cap, allowed Host values, public metrics, body size, responses store. */
import type { AppOptions } from "../server/app.ts";
import { defaultAllowedHosts } from "../server/guards.ts";
import { DEFAULT_IDLE_TIMEOUT_SECONDS, DEFAULT_MAX_CONNECTIONS, type ServeOptions } from "../server/serve.ts";

/** The HTTP-layer flags, parsed. Absent fields keep the server's defaults. */
export interface HttpFlags {
  idleTimeoutSeconds?: number;
  maxConnections?: number;
  allowedHosts?: string[];
  metricsPublic?: boolean;
  maxRequestBytes?: number;
  responsesStoreBytes?: number;
}

/** citty definitions of the HTTP-layer flags (shown by `serve --help`). */
export const HTTP_ARGS = {
  "idle-timeout": {
    type: "string",
    description: `Seconds before an idle or stalled connection is closed; never while its generation runs (default ${DEFAULT_IDLE_TIMEOUT_SECONDS}, 0: never)`,
  },
  "max-connections": {
    type: "string",
    description: `Most open connections; past it the oldest idle one is closed, or a 503 when none is idle (default ${DEFAULT_MAX_CONNECTIONS}; keep below ulimit -n)`,
  },
  "allowed-hosts": {
    type: "string",
    description: "Host header values answered, comma-separated, 'name' or 'name:port', '*' for any (default: --host and localhost with --port; any on 0.0.0.0 or ::)",
  },
  "metrics-public": { type: "boolean", description: "Serve /metrics without --api-key" },
  "max-request-bytes": {
    type: "string",
    description: "Largest request body in bytes; larger ones get 413 (default 33554432, 32 MiB)",
  },
  "responses-store-bytes": {
    type: "string",
    description: "Bytes of /v1/responses results kept for previous_response_id, least recently used out first (default 67108864, 64 MiB)",
  },
} as const;

type RawArgs = Record<string, unknown>;

function text(args: RawArgs, key: string): string | undefined {
  const v = args[key];
  return typeof v === "string" && v !== "" ? v : undefined;
}

/**
 * Parses the HTTP-layer flags; `fail` builds the error thrown for a bad value (its message names the flag).
 *
 * @example
 *   parseHttpFlags({ "idle-timeout": "60", "allowed-hosts": "llm.lan" }, (m) => new Error(m))
 *   // { idleTimeoutSeconds: 60, allowedHosts: ["llm.lan"] }
 */
export function parseHttpFlags(args: RawArgs, fail: (message: string) => Error): HttpFlags {
  const flags: HttpFlags = {};
  const idle = text(args, "idle-timeout");
  if (idle !== undefined) {
    const seconds = Number(idle);
    if (!Number.isFinite(seconds) || seconds < 0) throw fail(`--idle-timeout must be a number of seconds >= 0 (got '${idle}')`);
    flags.idleTimeoutSeconds = seconds;
  }
  const counts = [["max-connections", "maxConnections"], ["max-request-bytes", "maxRequestBytes"], ["responses-store-bytes", "responsesStoreBytes"]] as const;
  for (const [flag, key] of counts) {
    const value = text(args, flag);
    if (value === undefined) continue;
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < 1) {
      throw fail(`--${flag} must be a positive whole number (got '${value}')`);
    }
    flags[key] = Number(value);
  }
  const hosts = text(args, "allowed-hosts")?.split(",").map((h) => h.trim()).filter((h) => h !== "");
  if (hosts !== undefined) {
    if (hosts.length === 0) throw fail("--allowed-hosts needs at least one host name ('*' for any)");
    flags.allowedHosts = hosts;
  }
  if (args["metrics-public"] === true) flags.metricsPublic = true;
  return flags;
}

/**
 * The app options the flags set; the Host check defaults to the bound address (see {@link defaultAllowedHosts}).
 *
 * @example
 *   createApp({ engine, ...httpAppOptions(flags, "127.0.0.1", 8000) });
 */
export function httpAppOptions(
  flags: HttpFlags,
  host: string,
  port: number,
): Pick<AppOptions, "allowedHosts" | "metricsPublic" | "maxBodyBytes" | "responsesStoreBytes"> {
  return {
    allowedHosts: flags.allowedHosts ?? defaultAllowedHosts(host, port),
    ...(flags.metricsPublic ? { metricsPublic: true } : {}),
    ...(flags.maxRequestBytes === undefined ? {} : { maxBodyBytes: flags.maxRequestBytes }),
    ...(flags.responsesStoreBytes === undefined ? {} : { responsesStoreBytes: flags.responsesStoreBytes }),
  };
}

/**
 * The `serve` options the flags set.
 *
 * @example
 *   await serve(app, { host, port, ...httpServeOptions(flags) });
 */
export function httpServeOptions(flags: HttpFlags): Pick<ServeOptions, "idleTimeoutSeconds" | "maxConnections"> {
  return {
    ...(flags.idleTimeoutSeconds === undefined ? {} : { idleTimeoutSeconds: flags.idleTimeoutSeconds }),
    ...(flags.maxConnections === undefined ? {} : { maxConnections: flags.maxConnections }),
  };
}
