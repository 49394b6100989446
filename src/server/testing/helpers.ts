/** Test helpers: an app over a fake engine, JSON posts, and an SSE reader. */
import { type AppOptions, createApp, type ServerApp } from "../app.ts";
import type { ServerLogger } from "../access-log.ts";
import { FakeEngine } from "./fake-engine.ts";

/** A logger that keeps lines for assertions. */
export class MemoryLogger implements ServerLogger {
  readonly lines: string[] = [];
  info(message: string): void {
    this.lines.push(`info ${message}`);
  }
  warn(message: string): void {
    this.lines.push(`warn ${message}`);
  }
  error(message: string): void {
    this.lines.push(`error ${message}`);
  }
}

export interface TestApp {
  app: ServerApp;
  engine: FakeEngine;
  logger: MemoryLogger;
}

/** Builds an app named "test-model" over `engine` with a memory logger. */
export function testApp(engine = new FakeEngine(), options: Partial<AppOptions> = {}): TestApp {
  const logger = new MemoryLogger();
  const app = createApp({ engine, servedModelName: "test-model", logger, ...options });
  return { app, engine, logger };
}

/** A response whose JSON body is untyped, for terse assertions. */
export type TestResponse = Omit<Response, "json"> & { json(): Promise<any> };

/** `app.request` with an untyped JSON body. */
export async function request(app: ServerApp, path: string, init: RequestInit = {}): Promise<TestResponse> {
  return await app.request(path, init);
}

/** POSTs `body` as JSON (strings are sent verbatim). */
export function post(
  app: ServerApp,
  path: string,
  body: unknown,
  init: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<TestResponse> {
  return request(app, path, {
    method: "POST",
    headers: { "content-type": "application/json", ...init.headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

export interface SseResult {
  /** Parsed `data:` payloads, `[DONE]` excluded. */
  chunks: Record<string, any>[];
  comments: string[];
  done: boolean;
  raw: string;
}

/** Reads a whole SSE body. */
export async function readSse(response: TestResponse): Promise<SseResult> {
  const raw = await response.text();
  const result: SseResult = { chunks: [], comments: [], done: false, raw };
  for (const frame of raw.split("\n\n")) {
    if (frame === "") continue;
    for (const line of frame.split("\n")) {
      if (line.startsWith(":")) result.comments.push(line);
      else if (line === "data: [DONE]") result.done = true;
      else if (line.startsWith("data: ")) result.chunks.push(JSON.parse(line.slice(6)));
    }
  }
  return result;
}

/** Concatenates one field of `delta` over chat chunks for choice `index`. */
export function joinDeltas(chunks: Record<string, any>[], field: string, index = 0): string {
  return chunks
    .flatMap((c) => c.choices as any[])
    .filter((c) => c.index === index)
    .map((c) => c.delta?.[field] ?? "")
    .join("");
}

export const chatBody = (extra: Record<string, unknown> = {}) => ({
  model: "test-model",
  messages: [{ role: "user", content: "Hi" }],
  ...extra,
});
