/** `createApp`: the Hono app with every route, middleware and the one error handler. */
import { consola } from "consola";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import type { Engine } from "../engine/protocol.ts";
import type { PoolingService } from "../engine/pooling/protocol.ts";
import { accessLog, logFailure, type ServerLogger } from "./access-log.ts";
import { requireApiKey } from "./auth.ts";
import { ApiError, toApiError } from "./errors.ts";
import { answerOtherMethods, hostGuard, requireJsonBody } from "./guards.ts";
import { InflightRequests } from "./inflight.ts";
import { logSafe } from "./log-safe.ts";
import { ServerMetrics } from "./metrics.ts";
import { registerChatRoute } from "./routes/chat.ts";
import { registerCompletionsRoute } from "./routes/completions.ts";
import { registerEmbeddingRoutes } from "./routes/embeddings.ts";
import type { AppEnv, RouteDeps } from "./routes/context.ts";
import { registerInfoRoutes } from "./routes/info.ts";
import { registerMessagesRoutes } from "./routes/messages.ts";
import { registerResponsesRoutes } from "./routes/responses.ts";
import { registerTokenizeRoutes } from "./routes/tokenize.ts";
import { anthropicError, isAnthropicPath } from "./render/anthropic.ts";
import { ResponsesStore } from "./responses-store.ts";
import { registerOpenApiRoute } from "./openapi.ts";
import { registerUiRoutes, UI_PUBLIC_PATHS, type UiOptions } from "./ui.ts";
import { type LogHub, registerLogsRoute } from "./log-hub.ts";

/** Default request body limit: 32 MiB (room for base64 images). */
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface AppOptions {
  engine: Engine;
  /** The name clients use in `model`; also accepted: the engine's model id, "default" and `modelAliases`. */
  servedModelName?: string;
  /** More names accepted in `model` and never shown, e.g. the path the model was served from. */
  modelAliases?: string[];
  /** When set, every route but `/health` (and `/metrics` with `metricsPublic`) requires `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** `/metrics` answers without the API key. */
  metricsPublic?: boolean;
  /**
   * Accepted `Host` header values (`name` or `name:port`, `*` for any); others get 421. Absent: no check.
   * The CLI passes `defaultAllowedHosts` of the bound address (guards.ts), or `--allowed-hosts`.
   */
  allowedHosts?: string[];
  /** Enables CORS for these origins (`["*"]` for any). */
  allowedOrigins?: string[];
  /** Tokens per SSE chunk (default 1). */
  streamInterval?: number;
  /** Largest request body in bytes (default {@link DEFAULT_MAX_BODY_BYTES}); larger ones get 413. */
  maxBodyBytes?: number;
  /** Idle interval before a `: keep-alive` comment is sent on a stream (default 5000 ms). */
  keepAliveMs?: number;
  logger?: ServerLogger;
  /** Byte budget of stored `/v1/responses` results (default 64 MiB; least recently used out first). */
  responsesStoreBytes?: number;
  /** Serves the chat UI at `/` (its assets under `/ui/`, never behind the API key); absent: no UI. */
  ui?: UiOptions;
  /** Serves `GET /v1/logs` (the live log, behind the API key); absent: no log endpoint. */
  logs?: LogHub;
  /** The served model's pooling engine (embedding or rerank model): `/v1/embeddings`, `/v1/rerank`, `/v1/score`. */
  pooling?: PoolingService;
}

/** The Hono app plus its live-generation registry (used by `serve` for graceful shutdown). */
export type ServerApp = Hono<AppEnv> & { readonly inflight: InflightRequests };

/**
 * Builds the OpenAI-compatible app around an engine.
 *
 * @example
 *   const app = createApp({ engine, servedModelName: "qwen3" });
 *   const res = await app.request("/v1/models");
 */
export function createApp(options: AppOptions): ServerApp {
  const inflight = new InflightRequests();
  const logger = options.logger ?? consola.withTag("http");
  const deps: RouteDeps = {
    engine: options.engine,
    servedModelName: options.servedModelName ?? options.engine.modelInfo().id,
    modelAliases: options.modelAliases ?? [],
    streamInterval: Math.max(1, Math.floor(options.streamInterval ?? 1)),
    keepAliveMs: options.keepAliveMs ?? 5000,
    inflight,
    logger,
    ...(options.pooling ? { pooling: options.pooling } : {}),
  };
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const app = new Hono<AppEnv>();

  // A client's X-Request-Id is kept only when it is at most 128 of [A-Za-z0-9_=-]; otherwise a new id is made.
  app.use(requestId({ limitLength: 128, generator: () => `req-${crypto.randomUUID().slice(0, 8)}` }));
  const metrics = new ServerMetrics();
  app.use(accessLog(logger, metrics));
  if (options.allowedOrigins && options.allowedOrigins.length > 0) {
    const origins = options.allowedOrigins;
    app.use(cors({ origin: origins.includes("*") ? "*" : origins }));
  }
  if (options.allowedHosts) app.use(hostGuard(options.allowedHosts));
  if (options.apiKey) {
    const open = [...(options.metricsPublic ? ["/health", "/metrics"] : ["/health"]), ...(options.ui ? UI_PUBLIC_PATHS : [])];
    app.use(requireApiKey(options.apiKey, open));
  }
  app.use(requireJsonBody());
  app.use(
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: () => {
        throw new ApiError(413, `request body exceeds ${maxBodyBytes} bytes`, { code: "request_too_large" });
      },
    }),
  );

  registerInfoRoutes(app, deps);
  registerOpenApiRoute(app, options);
  const responses = new ResponsesStore(options.responsesStoreBytes);
  const renderMetrics = () => metrics.render(options.engine.stats()) + responses.renderMetrics();
  app.get("/metrics", (c) => c.text(renderMetrics(), 200, { "Content-Type": "text/plain; version=0.0.4" }));
  registerChatRoute(app, deps);
  registerCompletionsRoute(app, deps);
  registerMessagesRoutes(app, deps);
  registerResponsesRoutes(app, deps, responses);
  registerTokenizeRoutes(app, deps);
  registerEmbeddingRoutes(app, deps);
  if (options.ui) registerUiRoutes(app, options.ui);
  if (options.logs) registerLogsRoute(app, options.logs);
  answerOtherMethods(app);

  app.notFound((c) => {
    const error = new ApiError(404, `no route for ${c.req.method} ${c.req.path}`, { code: "not_found" });
    if (isAnthropicPath(c.req.path)) return c.json(anthropicError(error, c.get("requestId")).body, 404);
    return c.json(error.toBody(), 404);
  });
  app.onError((err, c) => {
    const error = toApiError(err);
    logFailure(logger, logSafe(`${c.get("requestId") ?? "-"} ${c.req.method} ${c.req.path}`), error, err);
    for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
    if (isAnthropicPath(c.req.path)) {
      const { status, body } = anthropicError(error, c.get("requestId"));
      return c.json(body, status);
    }
    return c.json(error.toBody(), error.status);
  });
  return Object.assign(app, { inflight });
}
