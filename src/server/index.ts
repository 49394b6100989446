/** The OpenAI-compatible HTTP layer. */
export { type AppOptions, createApp, DEFAULT_MAX_BODY_BYTES, type ServerApp } from "./app.ts";
export type { ServerLogger } from "./access-log.ts";
export { ApiError, type ErrorBody, toApiError } from "./errors.ts";
export { defaultAllowedHosts } from "./guards.ts";
export {
  DEFAULT_IDLE_TIMEOUT_SECONDS,
  DEFAULT_MAX_CONNECTIONS,
  type ServeOptions,
  type ServerHandle,
  serve,
} from "./serve.ts";
