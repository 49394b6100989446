/** What every route needs, and the steps chat and completions share. */
import type { Context } from "hono";
import { ContextLengthError, type Engine, type EngineEvent, type GenerateRequest, type ModelInfo } from "../../engine/protocol.ts";
import type { PoolingService } from "../../engine/pooling/protocol.ts";
import type { AccessRecord, ServerLogger } from "../access-log.ts";
import { ApiError, toApiError } from "../errors.ts";
import { Generation } from "../generation.ts";
import type { InflightRequests } from "../inflight.ts";
import type { ChoiceDecoderOptions } from "../parsers/choice-decoder.ts";

export type AppEnv = { Variables: { requestId: string; access: AccessRecord } };

/** Route dependencies, built once by `createApp`. */
export interface RouteDeps {
  engine: Engine;
  servedModelName: string;
  /** More names accepted in `model` (e.g. the path given to `serve`); compared as strings, never shown. */
  modelAliases?: readonly string[];
  streamInterval: number;
  keepAliveMs: number;
  inflight: InflightRequests;
  logger: ServerLogger;
  /** The embedding or rerank model's engine, when the served model is one. */
  pooling?: PoolingService;
}

/**
 * Names a request may use for the served model: the served name, the model id, "default" and the aliases
 * (the path or spec given to `serve`). Only compared as strings: a request's `model` never reaches the file system.
 */
export function modelAliases(deps: RouteDeps): Set<string> {
  return new Set([deps.servedModelName, deps.engine.modelInfo().id, "default", ...(deps.modelAliases ?? [])]);
}

/** Validates the request's `model` (absent means the served model); 404 when it names another. */
export function checkModel(deps: RouteDeps, model: string | undefined): void {
  if (model === undefined || modelAliases(deps).has(model)) return;
  throw new ApiError(404, `The model '${model}' does not exist; this server serves '${deps.servedModelName}'`, {
    param: "model",
    code: "model_not_found",
  });
}

/**
 * A 400 for a generation request to an embedding or rerank model, before any check of its sampling fields
 * (a `max_tokens` over the pooling model's short context would otherwise be the error reported).
 */
export function checkGenerates(deps: RouteDeps): void {
  const pooling = deps.pooling;
  if (!pooling) return;
  const what = pooling.task === "score" ? "a rerank model: use /v1/rerank" : "an embedding model: use /v1/embeddings";
  throw new ApiError(400, `model '${deps.servedModelName}' is ${what}; it does not generate text`, { param: "model", code: "model_not_supported" });
}

/**
 * Submits to the engine and waits for its first event, so errors raised while admitting the request
 * (context length, capacity, invalid input) become HTTP statuses before any response starts. A prompt over the
 * context names `promptParam`, the field that holds the prompt (default: `prompt` for a completion, else `messages`).
 */
export async function startGeneration(
  c: Context<AppEnv>,
  deps: RouteDeps,
  request: GenerateRequest,
  promptParam: string = request.kind === "completion" ? "prompt" : "messages",
): Promise<{ generation: Generation; first: EngineEvent | null }> {
  const loadState = deps.engine.modelInfo().loadState;
  if (loadState !== "ready") {
    throw new ApiError(503, `model is not ready (${loadState})`, { code: "model_not_ready" });
  }
  if (deps.inflight.draining) throw new ApiError(503, "server is shutting down", { code: "shutting_down" });
  let generation: Generation | undefined;
  try {
    generation = new Generation(deps.engine, request, c.req.raw.signal, deps.inflight);
    c.get("access").metrics = generation.metrics;
    const first = await generation.next();
    return { generation, first: first === null ? null : (first as EngineEvent) };
  } catch (error) {
    generation?.close();
    throw error instanceof ContextLengthError ? toApiError(error, promptParam) : error;
  }
}

/** OpenAI's usage object from a generation's counts; `cached_tokens` are prompt tokens served from the prefix cache. */
export function usageOf(generation: Generation): {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
} {
  const { promptTokens, completionTokens, cachedTokens } = generation.metrics;
  return {
    prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: cachedTokens },
  };
}

/** A response id such as `chatcmpl-3f2a…`. */
export function responseId(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().replaceAll("-", "")}`;
}

/** Seconds since the epoch, as OpenAI's `created`. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * How a route decodes one choice's text: the model's reasoning tags (open from the prompt's start when its chat
 * template opened them), and its tool-call format while the request offers tools.
 *
 * @example
 *   const options = choiceDecoderOptions(deps.engine.modelInfo(), firstEvent, true, body.parallel_tool_calls !== false);
 */
export function choiceDecoderOptions(info: ModelInfo, first: EngineEvent | null, toolsActive: boolean,
  parallelToolCalls: boolean): ChoiceDecoderOptions {
  const promptOpens = first?.type === "start" ? first.promptOpensReasoning : undefined;
  return {
    ...(info.reasoning ? { reasoning: info.reasoning } : {}),
    promptOpensReasoning: promptOpens ?? info.reasoning?.promptOpensReasoning ?? false,
    toolCallFormat: toolsActive ? info.toolCallFormat : "none",
    parallelToolCalls,
  };
}
