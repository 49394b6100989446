/**
 * The bridge between node:http's request/response and the Fetch `Request`/`Response` the Hono app handles.
 *
 * `serve` runs on node:http rather than Bun.serve because Bun.serve (1.4.5) closes a connection with nothing
 * written when a pipelined request arrives while an async response is pending (oven-sh/bun#38128), and
 * answers malformed requests before any of our code runs; Bun's node:http serves pipelined requests in order
 * and reports malformed ones through `clientError`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** Raised for a request line or header the Fetch API cannot represent (a 400). */
export class MalformedRequestError extends Error {
  override readonly name = "MalformedRequestError";
}

/** Response headers node:http sets itself from the way the body is written. */
const FRAMING_HEADERS = new Set(["connection", "content-length", "transfer-encoding", "keep-alive"]);

function requestPath(rawUrl: string | undefined): string {
  if (rawUrl?.startsWith("/")) return rawUrl;
  // absolute-form (`GET http://host/path`), allowed by RFC 9112 3.2.2
  if (rawUrl && /^https?:\/\//i.test(rawUrl)) {
    try {
      const url = new URL(rawUrl);
      return `${url.pathname}${url.search}`;
    } catch {}
  }
  throw new MalformedRequestError(`unsupported request target '${rawUrl ?? ""}'`);
}

function requestBody(req: IncomingMessage, onEnd: () => void): ReadableStream<Uint8Array> {
  const chunks = req[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) {
        onEnd();
        controller.close();
      } else controller.enqueue(next.value as Uint8Array);
    },
    async cancel() {
      await chunks.return?.();
    },
  });
}

/**
 * The Fetch `Request` of a node request. Its URL always carries `origin` (the bound address): the path comes
 * from the request line, so a missing or odd `Host` header (HTTP/1.0) cannot shift the path; the `Host`
 * header itself is passed on unchanged. `onBodyEnd` runs once the whole body has been read (at once for a
 * request without a body).
 *
 * @example
 *   const request = toFetchRequest(req, "http://127.0.0.1:8000", controller.signal, () => (bodyRead = true));
 */
export function toFetchRequest(req: IncomingMessage, origin: string, signal: AbortSignal, onBodyEnd: () => void): Request {
  const url = `${origin}${requestPath(req.url)}`;
  const headers = new Headers();
  const raw = req.rawHeaders;
  try {
    for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  } catch {
    throw new MalformedRequestError("malformed request header");
  }
  const method = req.method ?? "GET";
  const hasBody = req.headers["content-length"] !== undefined || req.headers["transfer-encoding"] !== undefined;
  if (method === "GET" || method === "HEAD" || !hasBody) {
    req.resume();
    onBodyEnd();
    return new Request(url, { method, headers, signal });
  }
  return new Request(url, { method, headers, signal, body: requestBody(req, onBodyEnd), duplex: "half" } as RequestInit);
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/**
 * Writes a Fetch `Response` to node's response. An event stream is written chunk by chunk with backpressure,
 * and is cancelled (which aborts its generation) when the connection closes first; any other body is sent
 * whole with a `Content-Length`. `close` adds `Connection: close` (used when the request body was not read).
 *
 * @example
 *   await sendFetchResponse(res, await app.fetch(request), false);
 */
export async function sendFetchResponse(res: ServerResponse, response: Response, close: boolean): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!FRAMING_HEADERS.has(name)) headers[name] = value;
  });
  if (close) headers.connection = "close";
  const streamed = response.body !== null && (response.headers.get("content-type") ?? "").startsWith("text/event-stream");
  if (!streamed) {
    const body = response.body === null ? null : new Uint8Array(await response.arrayBuffer());
    if (body !== null) headers["content-length"] = String(body.byteLength);
    res.writeHead(response.status, headers);
    res.end(body ?? undefined);
    return;
  }
  res.writeHead(response.status, headers);
  const reader = response.body!.getReader();
  const onClose = () => {
    if (!res.writableFinished) reader.cancel().catch(() => undefined);
  };
  res.on("close", onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || res.destroyed) break;
      if (!res.write(value)) await drained(res);
    }
    res.end();
  } catch {
    res.destroy();
  } finally {
    res.off("close", onClose);
  }
}
