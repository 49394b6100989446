/** The OpenAI error shape and the one mapping from any thrown value to it. */
import { HTTPException } from "hono/http-exception";
import { CapacityError, ContextLengthError, InvalidRequestError } from "../engine/protocol.ts";

export type ErrorStatus = 400 | 401 | 404 | 405 | 413 | 415 | 417 | 421 | 429 | 431 | 500 | 502 | 503 | 505;

/** `{ error: { message, type, param, code } }`, as OpenAI returns it. */
export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/**
 * An error with an HTTP status and OpenAI's error fields; routes throw it, `onError` renders it.
 *
 * @example
 *   throw new ApiError(400, "temperature must be <= 2", { param: "temperature" });
 */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  readonly headers: Record<string, string>;
  constructor(
    readonly status: ErrorStatus,
    message: string,
    options: { type?: string; param?: string | null; code?: string | null; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.type = options.type ?? defaultType(status);
    this.param = options.param ?? null;
    this.code = options.code ?? null;
    this.headers = options.headers ?? {};
  }

  toBody(): ErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

function defaultType(status: ErrorStatus): string {
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

/**
 * Maps anything thrown by a route, a middleware or the engine to an {@link ApiError}. Unknown errors become
 * a 500 whose message names no internals. A prompt over the context names `promptParam`, the field holding it.
 *
 * @example
 *   const apiError = toApiError(new ContextLengthError(9000, 8192)); // status 400, code context_length_exceeded
 */
export function toApiError(error: unknown, promptParam = "messages"): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ContextLengthError) {
    // 400, as OpenAI and vLLM answer (the SDKs' BadRequestError); 413 is a body over --max-request-bytes.
    return new ApiError(400, error.message, { param: promptParam, code: "context_length_exceeded", cause: error });
  }
  if (error instanceof CapacityError) {
    const headers: Record<string, string> =
      error.retryAfterSeconds === undefined ? {} : { "Retry-After": String(error.retryAfterSeconds) };
    const code = error.status === 429 ? "rate_limit_exceeded" : "service_unavailable";
    return new ApiError(error.status, error.message, { code, headers });
  }
  if (error instanceof InvalidRequestError) {
    return new ApiError(400, error.message, { param: error.param, code: "invalid_value" });
  }
  if (error instanceof HTTPException) {
    const status = error.status === 413 ? 413 : error.status === 401 ? 401 : error.status === 404 ? 404 : 400;
    const message = status === 413 ? "request body too large" : error.message || "bad request";
    return new ApiError(status, message, { code: status === 413 ? "request_too_large" : null });
  }
  return new ApiError(500, "internal server error", { code: "internal_error" });
}
