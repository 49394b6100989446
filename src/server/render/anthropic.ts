/** Output blocks in Anthropic's shapes: content blocks, stream events, stop reasons and the error body. */
import { ContextLengthError } from "../../engine/protocol.ts";
import type { ApiError } from "../errors.ts";
import type { BlockEvent, BlocksEnd, OutputBlock } from "./output-blocks.ts";

export type AnthropicStopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use";

/** `stop_reason` and `stop_sequence` of a finished choice. */
export function anthropicStop(end: BlocksEnd | null): { stop_reason: AnthropicStopReason; stop_sequence: string | null } {
  if (end?.calledTools && end.reason === "stop") return { stop_reason: "tool_use", stop_sequence: null };
  if (end?.reason === "length") return { stop_reason: "max_tokens", stop_sequence: null };
  if (end?.stopString !== undefined) return { stop_reason: "stop_sequence", stop_sequence: end.stopString };
  return { stop_reason: "end_turn", stop_sequence: null };
}

function parseInput(args: string): unknown {
  try {
    const value: unknown = JSON.parse(args);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value;
  } catch {}
  return {};
}

/** Tool ids in Anthropic's style (`toolu_…`). */
export function toolUseId(callId: string): string {
  return `toolu_${callId.replace(/^call_/, "")}`;
}

/** A finished block as a response content block. */
export function contentBlock(block: OutputBlock): Record<string, unknown> {
  if (block.kind === "text") return { type: "text", text: block.text, citations: null };
  if (block.kind === "thinking") return { type: "thinking", thinking: block.text, signature: "" };
  return { type: "tool_use", id: toolUseId(block.call.id), name: block.call.function.name, input: parseInput(block.call.function.arguments) };
}

/** The empty block a `content_block_start` carries. */
function startedBlock(block: OutputBlock): Record<string, unknown> {
  if (block.kind === "text") return { type: "text", text: "", citations: null };
  if (block.kind === "thinking") return { type: "thinking", thinking: "", signature: "" };
  return { type: "tool_use", id: toolUseId(block.call.id), name: block.call.function.name, input: {} };
}

/** One block event as Anthropic stream events (`content_block_start` / `_delta` / `_stop`). */
export function anthropicStreamEvents(event: BlockEvent): Record<string, unknown>[] {
  if (event.type === "open") return [{ type: "content_block_start", index: event.index, content_block: startedBlock(event.block) }];
  if (event.type === "close") return [{ type: "content_block_stop", index: event.index }];
  if (event.text === "") return [];
  const delta =
    event.kind === "text"
      ? { type: "text_delta", text: event.text }
      : event.kind === "thinking"
        ? { type: "thinking_delta", thinking: event.text }
        : { type: "input_json_delta", partial_json: event.text };
  return [{ type: "content_block_delta", index: event.index, delta }];
}

/**
 * Anthropic's `usage` object. Prompt tokens served from the prefix cache are `cache_read_input_tokens`, and, as in
 * Anthropic's accounting, not also `input_tokens` (the prompt is their sum).
 */
export function anthropicUsage(promptTokens: number, outputTokens: number, cachedTokens = 0): Record<string, number> {
  const cached = Math.min(Math.max(cachedTokens, 0), promptTokens);
  return { input_tokens: promptTokens - cached, output_tokens: outputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: cached };
}

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  503: "overloaded_error",
};

/**
 * An error in Anthropic's shape, and the status Anthropic would answer with: a prompt longer than the context
 * is its 400 `invalid_request_error` (its 413 means a body too large), worded as Anthropic words it.
 *
 * @example
 *   anthropicError(new ApiError(401, "invalid API key")) // { status: 401, body: { type: "error", error: { type: "authentication_error", ... } } }
 */
export function anthropicError(error: ApiError, requestId?: string): { status: ApiError["status"]; body: Record<string, unknown> } {
  const status = error.code === "context_length_exceeded" ? 400 : error.status;
  const type = ERROR_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
  const message = error.cause instanceof ContextLengthError ? tooLong(error.cause) : error.message;
  return {
    status,
    body: { type: "error", error: { type, message }, ...(requestId ? { request_id: requestId } : {}) },
  };
}

/**
 * Anthropic's words for a prompt over the context, which clients parse: Claude Code compacts on "prompt is too
 * long", and lowers `max_tokens` from the numbers of "input length and `max_tokens` exceed context limit".
 */
function tooLong({ promptTokens, maxTokens, contextLength }: ContextLengthError): string {
  if (maxTokens === undefined || promptTokens >= contextLength) return `prompt is too long: ${promptTokens} tokens > ${contextLength} maximum`;
  return `input length and \`max_tokens\` exceed context limit: ${promptTokens} + ${maxTokens} > ${contextLength}, ` +
    "decrease input length or `max_tokens` and try again";
}

/** Paths answered in Anthropic's error shape. */
export function isAnthropicPath(path: string): boolean {
  return path === "/v1/messages" || path.startsWith("/v1/messages/");
}
