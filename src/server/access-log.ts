/** One access-log line per request: id, route, status, tokens, TTFT, tok/s. */
import type { MiddlewareHandler } from "hono";
import { traceMark } from "../engine/trace.ts";
import type { ApiError } from "./errors.ts";
import type { GenerationMetrics } from "./generation.ts";
import { logSafe } from "./log-safe.ts";
import type { ServerMetrics } from "./metrics.ts";

/** The logging surface the server needs; a consola instance fits. */
export interface ServerLogger {
  info(message: string, ...rest: unknown[]): void;
  warn(message: string, ...rest: unknown[]): void;
  error(message: string, ...rest: unknown[]): void;
}

/**
 * Logs a request that ended on `error` (`thrown`: what was caught): a fault (500) as an error with its stack; a 503
 * (draining, a queue or request timeout, no memory) or another 5xx is the load's, a warning with its reason.
 *
 * @example
 *   logFailure(logger, "req-1 POST /v1/chat/completions", toApiError(e), e);
 */
export function logFailure(logger: ServerLogger, what: string, error: ApiError, thrown: unknown): void {
  if (error.status === 500) logger.error(`${what} failed`, thrown);
  else if (error.status >= 500) logger.warn(`${what}: ${error.status} ${logSafe(error.message)}`);
}

/**
 * The log record of one request. Streaming routes call {@link defer} and then {@link end} when the stream
 * closes; everything else is logged when the handler returns.
 */
export class AccessRecord {
  metrics: GenerationMetrics | null = null;
  #deferred = false;
  #done = false;
  readonly #startedAt = performance.now();

  constructor(
    readonly requestId: string,
    private readonly route: string,
    private readonly logger: ServerLogger,
    private readonly sink: ServerMetrics | null = null,
  ) {}

  get deferred(): boolean {
    return this.#deferred;
  }

  defer(): void {
    this.#deferred = true;
  }

  end(status: number): void {
    if (this.#done) return;
    this.#done = true;
    this.sink?.recordRequest(status, this.metrics);
    this.logger.info(this.format(status));
  }

  format(status: number): string {
    const totalMs = performance.now() - this.#startedAt;
    let line = `${this.requestId} ${this.route} ${status} ${totalMs.toFixed(0)}ms`;
    const m = this.metrics;
    if (m) {
      line += ` prompt=${m.promptTokens} completion=${m.completionTokens}`;
      if (m.ttftMs !== null) line += ` ttft=${m.ttftMs.toFixed(0)}ms`;
      const decodeMs = (m.totalMs ?? totalMs) - (m.ttftMs ?? 0);
      if (m.completionTokens > 1 && decodeMs > 0) {
        line += ` ${(((m.completionTokens - 1) * 1000) / decodeMs).toFixed(1)}tok/s`;
      }
    }
    return line;
  }
}

/**
 * Middleware that creates the request's {@link AccessRecord} (as `c.var.access`) and logs it afterwards.
 *
 * @example
 *   app.use(accessLog(consola));
 */
export function accessLog(
  logger: ServerLogger,
  metrics: ServerMetrics | null = null,
): MiddlewareHandler<{ Variables: { access: AccessRecord; requestId: string } }> {
  return async (c, next) => {
    const route = logSafe(`${c.req.method} ${c.req.path}`);
    const record = new AccessRecord(logSafe(c.get("requestId")), route, logger, metrics);
    traceMark("http.in", record.requestId);
    c.set("access", record);
    await next();
    // 499 (client closed request): the client left before the answer, which nobody received.
    if (!record.deferred) record.end(c.req.raw.signal.aborted ? 499 : c.res.status);
  };
}
