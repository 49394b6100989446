/** `serve`: runs a {@link ServerApp} on Bun.serve with graceful shutdown. */
import type { ServerApp } from "./app.ts";

export interface ServeOptions {
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * Bun's per-connection idle timeout in seconds. 0 (default) disables it: a non-streamed request sends no
   * bytes until generation ends, and a long prefill sends none either.
   */
  idleTimeoutSeconds?: number;
  /** Bun's own body cap; kept above the app's `maxBodyBytes` so the app answers 413 in OpenAI's shape. */
  maxRequestBodySize?: number;
}

export interface ServerHandle {
  readonly url: URL;
  readonly port: number;
  /**
   * Graceful shutdown: stops accepting connections, answers new generation requests 503, lets running
   * generations finish for `graceMs`, then aborts them and closes every connection.
   */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts listening.
 *
 * @example
 *   const handle = serve(createApp({ engine }), { port: 8000 });
 *   process.on("SIGINT", () => handle.stop(10_000));
 */
export function serve(app: ServerApp, options: ServeOptions): ServerHandle {
  const server = Bun.serve({
    hostname: options.host ?? "127.0.0.1",
    port: options.port,
    idleTimeout: options.idleTimeoutSeconds ?? 0,
    maxRequestBodySize: options.maxRequestBodySize ?? 1024 * 1024 * 1024,
    fetch: (request, srv) => app.fetch(request, { server: srv }),
  });
  let stopping: Promise<void> | null = null;
  const stop = async (graceMs: number) => {
    app.inflight.draining = true;
    const closing = server.stop(false);
    if (!(await app.inflight.waitIdle(graceMs))) {
      app.inflight.abortAll("server shutting down");
      await app.inflight.waitIdle(1000);
    }
    await Promise.race([closing, Bun.sleep(1000)]);
    await server.stop(true);
  };
  return {
    url: server.url,
    port: server.port ?? options.port,
    stop: (graceMs = 10_000) => {
      stopping ??= stop(graceMs);
      return stopping;
    },
  };
}
