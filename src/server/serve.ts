/** `serve`: runs a {@link ServerApp} on node:http with connection limits, idle timeouts and graceful shutdown. */
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { ServerApp } from "./app.ts";
import { ApiError, type ErrorStatus } from "./errors.ts";
import { MalformedRequestError, sendFetchResponse, toFetchRequest } from "./node-bridge.ts";

/** Default idle timeout: seconds a connection may send and receive nothing while no generation runs on it. */
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 30;
/** Default cap on open connections; the file-descriptor limit is the other bound. */
export const DEFAULT_MAX_CONNECTIONS = 4096;

export interface ServeOptions {
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * Seconds before a connection that is idle (between keep-alive requests, or stalled while sending its
   * headers or body) is closed; 0 disables it. A connection whose request body was read and whose response
   * is still being produced is never cut: a long non-streamed generation sends nothing until it ends.
   */
  idleTimeoutSeconds?: number;
  /**
   * Most open connections (default {@link DEFAULT_MAX_CONNECTIONS}); keep it below the open-file limit
   * (`ulimit -n`): past that limit new connections wait unanswered in the kernel's queue. At the cap, a new
   * connection closes the oldest one with no request in progress; when every connection has one, it gets 503.
   */
  maxConnections?: number;
}

export interface ServerHandle {
  readonly url: URL;
  readonly port: number;
  /** Open connections now. */
  readonly connections: number;
  /**
   * Graceful shutdown: stops accepting connections, answers new generation requests 503, lets running
   * generations finish for `graceMs`, then aborts them and closes every connection.
   */
  stop(graceMs?: number): Promise<void>;
}

/** Per connection: its requests in progress, and those of them whose body was read (now generating). */
interface Connection {
  active: number;
  busy: number;
}

/** A whole HTTP/1.1 response in OpenAI's error shape, for connections no request handler owns. */
function rawErrorResponse(status: ErrorStatus, message: string, code: string): string {
  const body = JSON.stringify(new ApiError(status, message, { code }).toBody());
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

/**
 * node:http's parser rejects these before any request exists; `clientError` lets us answer in OpenAI's shape.
 * Bodies over the app's limit are answered by the app itself (413).
 */
function clientErrorResponse(code: string | undefined): string {
  if (code === "HPE_HEADER_OVERFLOW") return rawErrorResponse(431, "request headers too large", "headers_too_large");
  if (code === "HPE_INVALID_VERSION") return rawErrorResponse(505, "HTTP version not supported", "http_version_not_supported");
  return rawErrorResponse(400, "malformed HTTP request", "malformed_request");
}

function originOf(host: string, port: number): string {
  return host.includes(":") ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}

/**
 * Starts listening; rejects when the address cannot be bound (the error carries node's `code`, e.g. EADDRINUSE).
 *
 * @example
 *   const handle = await serve(createApp({ engine }), { port: 8000 });
 *   process.on("SIGINT", () => handle.stop(10_000));
 */
export async function serve(app: ServerApp, options: ServeOptions): Promise<ServerHandle> {
  const host = options.host ?? "127.0.0.1";
  const idleMs = (options.idleTimeoutSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS) * 1000;
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const connections = new Map<Socket, Connection>();
  let origin = originOf(host, options.port);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const connection = connections.get(req.socket);
    if (connection) connection.active++;
    const controller = new AbortController();
    let bodyRead = false;
    const onBodyEnd = () => {
      bodyRead = true;
      if (connection) connection.busy++;
    };
    res.on("close", () => {
      if (connection) connection.active--;
      if (bodyRead && connection) connection.busy--;
      if (!res.writableFinished) controller.abort("client disconnected");
    });
    let response: Response;
    try {
      response = await app.fetch(toFetchRequest(req, origin, controller.signal, onBodyEnd));
    } catch (error) {
      if (!(error instanceof MalformedRequestError)) throw error;
      const body = new ApiError(400, error.message, { code: "malformed_request" }).toBody();
      response = Response.json(body, { status: 400 });
    }
    // An unread body cannot be skipped safely: close the connection after answering.
    await sendFetchResponse(res, response, !bodyRead);
  };

  const evictIdle = () => {
    for (const [socket, connection] of connections) {
      if (connection.active > 0) continue;
      connections.delete(socket);
      socket.destroy();
      return true;
    }
    return false;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  if (idleMs > 0) server.keepAliveTimeout = idleMs;
  server.on("connection", (socket: Socket) => {
    if (connections.size >= maxConnections && !evictIdle()) {
      socket.end(rawErrorResponse(503, "too many open connections; retry later", "too_many_connections"));
      return;
    }
    const connection: Connection = { active: 0, busy: 0 };
    connections.set(socket, connection);
    socket.on("close", () => connections.delete(socket));
  });
  if (idleMs > 0) {
    // With a listener, node:http leaves timed-out sockets to us: close the idle ones, keep the generating ones.
    server.setTimeout(idleMs);
    server.on("timeout", (socket: Socket) => {
      if ((connections.get(socket)?.busy ?? 0) === 0) socket.destroy();
    });
  }
  server.on("clientError", (error: Error & { code?: string }, socket: Socket) => {
    if (socket.writable) socket.end(clientErrorResponse(error.code));
    else socket.destroy();
  });
  // node:http would answer these itself with an empty body (417) or close silently (CONNECT).
  server.on("checkExpectation", (req: IncomingMessage) => {
    req.socket.end(rawErrorResponse(417, "only 'Expect: 100-continue' is supported", "expectation_failed"));
  });
  server.on("connect", (_req: IncomingMessage, socket: Socket) => {
    socket.end(rawErrorResponse(405, "CONNECT is not supported", "method_not_allowed"));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;
  origin = originOf(host, port);

  const responsesDone = async (timeoutMs: number) => {
    const deadline = performance.now() + timeoutMs;
    while ([...connections.values()].some((c) => c.busy > 0) && performance.now() < deadline) await Bun.sleep(10);
  };
  const stop = async (graceMs: number) => {
    app.inflight.draining = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (!(await app.inflight.waitIdle(graceMs))) {
      app.inflight.abortAll("server shutting down");
      await app.inflight.waitIdle(1000);
    }
    await responsesDone(1000);
    for (const socket of connections.keys()) socket.destroy();
    await Promise.race([closed, Bun.sleep(1000)]);
  };
  let stopping: Promise<void> | null = null;
  return {
    url: new URL(`${origin}/`),
    port,
    get connections() {
      return connections.size;
    },
    stop: (graceMs = 10_000) => {
      stopping ??= stop(graceMs);
      return stopping;
    },
  };
}
