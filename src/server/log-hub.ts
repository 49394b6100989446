/**
 * The live log behind `GET /v1/logs` (off unless `serve --enable-log-endpoint` or `vllm-mlx app` turns it on):
 * access-log lines and engine events, kept in a bounded ring and streamed over SSE. Publishing never waits on
 * a reader: each subscriber has a bounded queue, and a reader that falls behind loses its oldest lines (the
 * stream says how many).
 */
import type { Context, Env, Hono } from "hono";
import { streamSSE } from "hono/streaming";

/** One log line as streamed: `data: {"seq":1,"time":...,"level":"info","source":"http","message":"..."}`. */
export interface LogEntry {
  seq: number;
  /** Milliseconds since the epoch. */
  time: number;
  level: "debug" | "info" | "warn" | "error";
  /** Where it came from: `http` (the access log), `engine`, or a logger tag. */
  source: string;
  message: string;
}

/** Lines kept for a new reader, and lines queued per reader before its oldest are dropped. */
export const LOG_BUFFER_LINES = 1000;
export const LOG_QUEUE_LINES = 1000;

interface Subscriber {
  queue: LogEntry[];
  dropped: number;
  wake: (() => void) | null;
}

/**
 * A bounded in-memory log that readers follow.
 *
 * @example
 *   const logs = new LogHub();
 *   logs.publish("info", "engine", "model ready");
 *   createApp({ engine, logs }); // GET /v1/logs streams it
 */
export class LogHub {
  readonly #ring: LogEntry[] = [];
  readonly #subscribers = new Set<Subscriber>();
  #seq = 0;

  constructor(readonly capacity = LOG_BUFFER_LINES, readonly queueLimit = LOG_QUEUE_LINES) {}

  publish(level: LogEntry["level"], source: string, message: string): void {
    const entry: LogEntry = { seq: ++this.#seq, time: Date.now(), level, source, message };
    this.#ring.push(entry);
    if (this.#ring.length > this.capacity) this.#ring.shift();
    for (const sub of this.#subscribers) {
      sub.queue.push(entry);
      if (sub.queue.length > this.queueLimit) {
        sub.queue.shift();
        sub.dropped++;
      }
      sub.wake?.();
    }
  }

  /** The buffered lines, oldest first. */
  recent(): LogEntry[] {
    return [...this.#ring];
  }

  /** Readers following now. */
  get readers(): number {
    return this.#subscribers.size;
  }

  /**
   * The buffered lines, then each new one, until `signal` aborts. A `{ dropped: n }` item says that n lines
   * were lost because this reader fell behind.
   */
  async *follow(signal: AbortSignal): AsyncGenerator<LogEntry | { dropped: number }> {
    const sub: Subscriber = { queue: this.recent(), dropped: 0, wake: null };
    this.#subscribers.add(sub);
    const onAbort = () => sub.wake?.();
    signal.addEventListener("abort", onAbort);
    try {
      while (!signal.aborted) {
        if (sub.dropped > 0) {
          yield { dropped: sub.dropped };
          sub.dropped = 0;
        }
        const next = sub.queue.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => (sub.wake = resolve));
        sub.wake = null;
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      this.#subscribers.delete(sub);
    }
  }
}

/** Keep-alive comment interval of the log stream. */
const LOG_KEEP_ALIVE_MS = 15_000;

/**
 * `GET /v1/logs`: the log as SSE, one `data:` frame per line (a {@link LogEntry}), and `event: dropped` frames
 * when the reader fell behind. It sits behind the API key like every `/v1` route.
 *
 * @example
 *   registerLogsRoute(app, logs);
 */
export function registerLogsRoute<E extends Env>(app: Hono<E>, logs: LogHub): void {
  app.get("/v1/logs", (c: Context<E>) =>
    streamSSE(c, async (stream) => {
      const stop = new AbortController();
      const onGone = () => stop.abort();
      c.req.raw.signal.addEventListener("abort", onGone);
      stream.onAbort(onGone);
      const keepAlive = setInterval(() => void stream.write(": keep-alive\n\n").catch(onGone), LOG_KEEP_ALIVE_MS);
      try {
        for await (const item of logs.follow(stop.signal)) {
          if ("seq" in item) await stream.writeSSE({ data: JSON.stringify(item), id: String(item.seq) });
          else await stream.writeSSE({ event: "dropped", data: JSON.stringify(item) });
        }
      } finally {
        clearInterval(keepAlive);
        c.req.raw.signal.removeEventListener("abort", onGone);
      }
    }),
  );
}

/** consola's log record, as much of it as the hub reads. */
interface LogRecord {
  level: number;
  tag?: string;
  args: unknown[];
}

/**
 * A consola reporter that copies every record into `logs` (the access log is consola's `http` tag).
 *
 * @example
 *   consola.addReporter(logHubReporter(logs));
 */
export function logHubReporter(logs: LogHub): { log: (record: LogRecord) => void } {
  return {
    log(record) {
      const level = record.level <= 0 ? "error" : record.level === 1 ? "warn" : record.level <= 3 ? "info" : "debug";
      const message = record.args.map((a) => (a instanceof Error ? a.message : typeof a === "string" ? a : JSON.stringify(a))).join(" ");
      logs.publish(level, record.tag || "server", message);
    },
  };
}
