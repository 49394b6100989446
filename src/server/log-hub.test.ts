import { describe, expect, test } from "bun:test";
import { createConsola } from "consola";
import { LogHub, logHubReporter } from "./log-hub.ts";
import { testApp } from "./testing/helpers.ts";

describe("LogHub", () => {
  test("keeps the newest lines up to its capacity", () => {
    const logs = new LogHub(3, 10);
    for (let i = 1; i <= 5; i++) logs.publish("info", "http", `line ${i}`);
    expect(logs.recent().map((e) => e.message)).toEqual(["line 3", "line 4", "line 5"]);
  });

  test("a reader gets the buffer, then live lines; a slow one loses its oldest and is told how many", async () => {
    const logs = new LogHub(10, 2);
    logs.publish("info", "engine", "before");
    const stop = new AbortController();
    const reader = logs.follow(stop.signal);
    expect(((await reader.next()).value as { message: string }).message).toBe("before");
    // Publishing never waits for the reader: 4 lines into a queue of 2.
    for (let i = 1; i <= 4; i++) logs.publish("info", "http", `live ${i}`);
    expect((await reader.next()).value).toEqual({ dropped: 2 });
    expect(((await reader.next()).value as { message: string }).message).toBe("live 3");
    expect(((await reader.next()).value as { message: string }).message).toBe("live 4");
    const pending = reader.next();
    expect(logs.readers).toBe(1);
    stop.abort();
    expect((await pending).done).toBe(true);
    expect(logs.readers).toBe(0);
  });

  test("the consola reporter maps levels and tags", () => {
    const logs = new LogHub();
    const reporter = logHubReporter(logs);
    reporter.log({ level: 3, tag: "http", args: ["req-1 GET /v1/models 200 1ms"] });
    reporter.log({ level: 0, args: [new Error("boom")] });
    expect(logs.recent().map(({ level, source, message }) => ({ level, source, message }))).toEqual([
      { level: "info", source: "http", message: "req-1 GET /v1/models 200 1ms" },
      { level: "error", source: "server", message: "boom" },
    ]);
  });
});

describe("GET /v1/logs", () => {
  const app = (logs: LogHub) => testApp(undefined, { apiKey: "sk-logs", logs }).app;

  test("is off unless the app is given a log", async () => {
    expect((await testApp().app.request("/v1/logs")).status).toBe(404);
  });

  test("needs the API key", async () => {
    const res = await app(new LogHub()).request("/v1/logs");
    expect(res.status).toBe(401);
  });

  test("the access log reaches it through consola, as `serve --enable-log-endpoint` wires it", async () => {
    const logs = new LogHub();
    const logger = createConsola({ level: 3, reporters: [logHubReporter(logs)] }).withTag("http");
    const { app: server } = testApp(undefined, { logs, logger });
    await server.request("/v1/models");
    const line = logs.recent().find((e) => e.message.includes("GET /v1/models 200"));
    expect(line?.source).toBe("http");
    expect(line?.level).toBe("info");
  });

  test("streams buffered and live lines as SSE until the client leaves", async () => {
    const logs = new LogHub();
    logs.publish("info", "engine", "model ready");
    const client = new AbortController();
    const res = await app(logs).request("/v1/logs", { headers: { Authorization: "Bearer sk-logs" }, signal: client.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) text += (await reader.read()).value ?? "";
    };
    await readUntil("model ready");
    logs.publish("info", "http", "req-2 POST /v1/chat/completions 200 12ms");
    await readUntil("/v1/chat/completions");
    const frames = text.trim().split("\n\n").map((f) => JSON.parse(f.split("\n").find((l) => l.startsWith("data:"))!.slice(5)));
    expect(frames.map((f) => [f.source, f.message])).toEqual([["engine", "model ready"], ["http", "req-2 POST /v1/chat/completions 200 12ms"]]);
    expect(logs.readers).toBe(1);
    await reader.cancel();
    client.abort();
    for (let i = 0; i < 50 && logs.readers > 0; i++) await Bun.sleep(10);
    expect(logs.readers).toBe(0);
  });
});
