/** Connection-level behaviour of `serve`, driven over raw TCP: pipelining, HTTP/1.0, parse errors, timeouts, limits. */
import { afterEach, describe, expect, test } from "bun:test";
import { createApp } from "./app.ts";
import { type ServeOptions, type ServerHandle, serve } from "./serve.ts";
import { FakeEngine, type FakeScript } from "./testing/fake-engine.ts";
import { MemoryLogger } from "./testing/helpers.ts";
import { RawConnection, rawPost, statusLines } from "./testing/raw-http.ts";

let handle: ServerHandle | null = null;
const open: RawConnection[] = [];

async function start(script: () => FakeScript, options: Partial<ServeOptions> = {}) {
  const engine = new FakeEngine(script);
  const logger = new MemoryLogger();
  handle = await serve(createApp({ engine, logger }), { port: 0, ...options });
  return { engine, logger, port: handle.port };
}

function connection(port: number): RawConnection {
  const c = new RawConnection(port);
  open.push(c);
  return c;
}

afterEach(async () => {
  for (const c of open.splice(0)) c.destroy();
  await handle?.stop(100);
  handle = null;
});

const HEALTH = "GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n";

describe("pipelined requests on one connection", () => {
  for (const stream of [false, true]) {
    test(`a ${stream ? "streamed" : "non-streamed"} generation and a request sent right behind it both answer`, async () => {
      const { engine, port } = await start(() => ({ outputs: [["a", "b", "c"]], tokenDelayMs: 20 }));
      const c = connection(port);
      await c.send(rawPost("/v1/completions", { prompt: "x", stream }) + HEALTH);
      const text = await c.until((t) => statusLines(t).length === 2 && t.includes('"status":"ok"'));
      expect(statusLines(text)).toEqual([200, 200]);
      expect(text).toContain(stream ? '"text":"c"' : '"text":"abc"');
      if (stream) expect(text).toContain("data: [DONE]");
      expect(text.indexOf('"status":"ok"')).toBeGreaterThan(text.indexOf(stream ? "[DONE]" : '"text":"abc"'));
      expect(engine.aborted).toEqual([]);
      expect(c.closed).toBe(false);
    });
  }
});

describe("client disconnects still abort their generation", () => {
  for (const stream of [false, true]) {
    test(`${stream ? "streamed" : "non-streamed"}: closing the socket aborts the engine request`, async () => {
      const { engine, logger, port } = await start(() => ({ outputs: [Array(500).fill("t")], tokenDelayMs: 10 }));
      const c = connection(port);
      await c.send(rawPost("/v1/completions", { prompt: "x", stream }));
      const aborted = engine.nextAbort();
      if (stream) await c.until((t) => t.includes("data: "));
      else await Bun.sleep(50);
      c.destroy();
      await aborted;
      expect(engine.aborted).toEqual([engine.requests[0]!.requestId]);
      await Bun.sleep(30);
      expect(engine.running).toBe(0);
      expect(logger.lines.some((l) => l.includes("POST /v1/completions 499"))).toBe(true);
    });
  }
});

describe("HTTP/1.0 and malformed requests", () => {
  test("HTTP/1.0 without Host routes by the full path", async () => {
    const { port } = await start(() => ({}));
    const c = connection(port);
    await c.send("GET /v1/models HTTP/1.0\r\n\r\n");
    const text = await c.until(() => false);
    expect(statusLines(text)).toEqual([200]);
    expect(text).toContain('"object":"list"');
  });
  const cases: [string, string, number, string][] = [
    ["a junk request line", "GARBAGE\r\n\r\n", 400, "malformed_request"],
    ["an unknown HTTP version", "GET /health HTTP/2.5\r\nhost: x\r\n\r\n", 505, "http_version_not_supported"],
    ["oversized headers", `GET /health HTTP/1.1\r\nhost: x\r\nx-big: ${"a".repeat(100_000)}\r\n\r\n`, 431, "headers_too_large"],
    ["both Content-Length and chunked", "POST /v1/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n", 400, "malformed_request"],
    ["a request target of *", "OPTIONS * HTTP/1.1\r\nhost: x\r\n\r\n", 400, "malformed_request"],
    ["an Expect other than 100-continue", "POST /v1/completions HTTP/1.1\r\nhost: x\r\nexpect: later\r\ncontent-length: 2\r\n\r\n{}", 417, "expectation_failed"],
    ["CONNECT", "CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\r\n", 405, "method_not_allowed"],
  ];
  for (const [name, bytes, status, code] of cases) {
    test(`${name} is a ${status} with an OpenAI-shaped body`, async () => {
      const { port } = await start(() => ({}));
      const c = connection(port);
      await c.send(bytes);
      const text = await c.until(() => false);
      expect(statusLines(text)).toEqual([status]);
      const body = JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4));
      expect(body.error.code).toBe(code);
      expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
    });
  }
});

describe("idle timeout", () => {
  test("an idle keep-alive connection is closed after the timeout", async () => {
    const { port } = await start(() => ({}), { idleTimeoutSeconds: 0.5 });
    const c = connection(port);
    await c.send(HEALTH);
    await c.until((t) => t.includes('"status":"ok"'));
    const answered = performance.now();
    await c.closedByServer(4000);
    expect(c.closed).toBe(true);
    expect(performance.now() - answered).toBeGreaterThan(300);
  });
  test("a connection that never finishes its headers is closed", async () => {
    const { port } = await start(() => ({}), { idleTimeoutSeconds: 0.5 });
    const c = connection(port);
    await c.send("GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\n");
    await c.closedByServer(4000);
    expect(c.closed).toBe(true);
    expect(c.received).toBe("");
  });
  test("a connection that never finishes its body is closed", async () => {
    const { engine, port } = await start(() => ({}), { idleTimeoutSeconds: 0.5 });
    const c = connection(port);
    await c.send("POST /v1/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{");
    await c.closedByServer(4000);
    expect(c.closed).toBe(true);
    expect(engine.requests).toHaveLength(0);
  });
  test("a non-streamed generation longer than the timeout still answers", async () => {
    const { engine, port } = await start(() => ({ outputs: [["slow"]], firstTokenDelayMs: 1800 }), { idleTimeoutSeconds: 0.5 });
    const c = connection(port);
    await c.send(rawPost("/v1/completions", { prompt: "x" }));
    const text = await c.until((t) => t.includes('"text":"slow"'), 5000);
    expect(statusLines(text)).toEqual([200]);
    expect(engine.aborted).toEqual([]);
  });
});

describe("open connections", () => {
  test("500 idle connections do not stop the server answering", async () => {
    const { port } = await start(() => ({}));
    const idle = Array.from({ length: 500 }, () => connection(port));
    await Promise.all(idle.map((c) => c.send("")));
    for (let i = 0; i < 100 && handle!.connections < 500; i++) await Bun.sleep(20);
    expect(handle!.connections).toBe(500);
    const res = await fetch(new URL("/health", handle!.url));
    expect(res.status).toBe(200);
    expect(idle.every((c) => !c.closed)).toBe(true);
  });
  test("at the cap, a new connection closes the oldest idle one and is served", async () => {
    const { port } = await start(() => ({}), { maxConnections: 3 });
    const held = Array.from({ length: 3 }, () => connection(port));
    await Promise.all(held.map((c) => c.send("")));
    // Bun's node:http reports a silent connection about a second after accepting it.
    for (let t = 0; t < 200 && handle!.connections < 3; t++) await Bun.sleep(10);
    expect(handle!.connections).toBe(3);
    const extra = connection(port);
    await extra.send(HEALTH);
    expect(statusLines(await extra.until((t) => t.includes('"status":"ok"')))).toEqual([200]);
    await Bun.sleep(50);
    expect(held.filter((c) => c.closed)).toHaveLength(1);
    expect(handle!.connections).toBe(3);
  });
  test("at the cap with a request on every connection, a new connection gets a 503", async () => {
    const { engine, port } = await start(() => ({ outputs: [["slow"]], firstTokenDelayMs: 500 }), { maxConnections: 2 });
    const busy = [connection(port), connection(port)];
    for (const c of busy) await c.send(rawPost("/v1/completions", { prompt: "x" }));
    for (let t = 0; t < 100 && engine.requests.length < 2; t++) await Bun.sleep(10);
    const extra = connection(port);
    await extra.send(HEALTH);
    const text = await extra.until(() => false);
    expect(statusLines(text)).toEqual([503]);
    expect(text).toContain('"code":"too_many_connections"');
    for (const c of busy) expect(statusLines(await c.until((t) => t.includes('"text":"slow"')))).toEqual([200]);
  });
});
