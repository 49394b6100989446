/** Drives a generation into an SSE response: events, keep-alive comments, errors, `[DONE]`. */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { EngineEvent } from "../../engine/protocol.ts";
import { type ApiError, toApiError } from "../errors.ts";
import { logFailure } from "../access-log.ts";
import { type Generation, IDLE } from "../generation.ts";
import type { AppEnv, RouteDeps } from "./context.ts";

/** Writes one `data:` frame with a JSON payload. */
export type WriteChunk = (payload: unknown) => Promise<void>;

/** What a route does with the stream; `end` runs only when the generation completed normally. */
export interface StreamHandlers {
  begin(write: WriteChunk): Promise<void>;
  event(event: EngineEvent, write: WriteChunk): Promise<void>;
  end(write: WriteChunk): Promise<void>;
}

/** The comment line sent while no data has flowed for `keepAliveMs` (keeps proxies and client read timeouts happy). */
export const KEEP_ALIVE = ": keep-alive\n\n";

/**
 * How an API frames its stream: OpenAI chat and completions send bare `data:` lines ending in `data: [DONE]`;
 * Anthropic's Messages and OpenAI's Responses name every frame (`event: <payload.type>`) and send no sentinel.
 */
export interface SseDialect {
  namedEvents: boolean;
  doneSentinel: boolean;
  /** The payload sent after `keepAliveMs` of silence; absent: the {@link KEEP_ALIVE} comment. */
  keepAlive?: () => unknown;
  /** The payload of an error raised after the response started. */
  errorPayload(error: ApiError): unknown;
}

/** OpenAI's chat and completions framing. */
export const OPENAI_DIALECT: SseDialect = { namedEvents: false, doneSentinel: true, errorPayload: (error) => error.toBody() };

function frame(payload: unknown, named: boolean): string {
  const type = named && typeof payload === "object" && payload !== null ? (payload as { type?: unknown }).type : undefined;
  const event = typeof type === "string" ? `event: ${type}\n` : "";
  return `${event}data: ${JSON.stringify(payload)}\n\n`;
}

/**
 * Streams `generation` as SSE in `dialect`'s framing. A client disconnect aborts the generation; an error after
 * the response started becomes the dialect's error frame (OpenAI: `data: {"error": ...}` before `[DONE]`).
 *
 * @example
 *   return streamGeneration(c, deps, generation, first, handlers);
 */
export function streamGeneration(
  c: Context<AppEnv>,
  deps: RouteDeps,
  generation: Generation,
  first: EngineEvent | null,
  handlers: StreamHandlers,
  dialect: SseDialect = OPENAI_DIALECT,
): Response {
  const access = c.get("access");
  access.defer();
  return streamSSE(c, async (stream) => {
    stream.onAbort(() => generation.abort("client disconnected"));
    const write: WriteChunk = (payload) => stream.write(frame(payload, dialect.namedEvents)).then(() => undefined);
    try {
      await handlers.begin(write);
      let event: EngineEvent | null | typeof IDLE = first;
      while (event !== null && !stream.aborted && !generation.aborted) {
        if (event === IDLE) await (dialect.keepAlive ? write(dialect.keepAlive()) : stream.write(KEEP_ALIVE));
        else await handlers.event(event, write);
        event = await generation.next(deps.keepAliveMs);
      }
      if (!stream.aborted) await handlers.end(write);
    } catch (error) {
      const apiError = toApiError(error);
      logFailure(deps.logger, `${access.requestId} stream`, apiError, error);
      if (!stream.aborted) await write(dialect.errorPayload(apiError));
    } finally {
      generation.close();
      if (!stream.aborted && dialect.doneSentinel) await stream.write("data: [DONE]\n\n");
      access.end(stream.aborted ? 499 : 200);
    }
  });
}
