/**
 * The contract between the HTTP layer (`src/server`) and a generation engine.
 *
 * The server validates a request, turns it into a {@link GenerateRequest}, calls
 * {@link Engine.submit} and renders the returned events as JSON or SSE. It imports nothing else from the
 * engine, so any engine (the real scheduler, a fake in tests) plugs in through this file alone.
 */

import type { SamplingParams } from "./sampling/params.ts";
import type { StructuredOutputSpec } from "./structured/spec.ts";

export type { SamplingParams } from "./sampling/params.ts";

export { CapacityError, ContextLengthError, InvalidRequestError } from "./errors.ts";

/**
 * How the model writes tool calls in its output text, by vLLM's `--tool-call-parser` names: `hermes` (Qwen,
 * Hermes `<tool_call>` JSON), `qwen3_coder` (Qwen3-Coder XML), `llama3_json`, `mistral` (`[TOOL_CALLS]`),
 * `pythonic` (Gemma 3's `[f(a=1)]`), `openai` (gpt-oss Harmony).
 */
export type ToolCallFormat = "hermes" | "qwen3_coder" | "llama3_json" | "mistral" | "pythonic" | "openai" | "none";

/** Whether the weights are usable yet. Generation requests get 503 unless `ready`. */
export type LoadState = "loading" | "ready" | "failed";

/** The tags around a reasoning span, e.g. `{ start: "<think>", end: "</think>" }`. */
export interface ReasoningTags {
  start: string;
  end: string;
  /**
   * The chat template already opened the reasoning span at the end of the prompt (DeepSeek-R1 style), so the
   * output starts inside it and only the end tag appears. A `start` event may override this per request.
   */
  promptOpensReasoning?: boolean;
}

/** Static facts about the served model. */
export interface ModelInfo {
  /** Model id or path, e.g. `mlx-community/Qwen3-0.6B-8bit`. */
  id: string;
  /** Maximum prompt + completion tokens. */
  contextLength: number;
  toolCallFormat: ToolCallFormat;
  /** Present when the model emits a reasoning span. */
  reasoning?: ReasoningTags;
  loadState: LoadState;
  /** Token ids run from 0 to `vocabSize - 1`; absent until the tokenizer is loaded. */
  vocabSize?: number;
  /** A vision model: chat takes image parts, and video parts when `video` (Qwen-VL families). */
  vision?: { video: boolean };
}

/** Scheduler occupancy, reported by `/health`. */
export interface EngineStats {
  /** Sequences being decoded or prefilled now. */
  running: number;
  /** Sequences queued for admission. */
  waiting: number;
  /** Maximum concurrently running sequences. */
  capacity: number;
  /** Paged KV cache blocks in use and in total (engines without a paged cache leave these out). */
  kvBlocksUsed?: number;
  kvBlocksTotal?: number;
  /** Prompt tokens looked up in the prefix cache, and how many of them hit (the prompt tokens saved). */
  prefixCacheQueries?: number;
  prefixCacheHits?: number;
  /** Requests looked up in the prefix cache, those that reused a block, and those whose reused blocks hold an image's or video's tokens. */
  prefixCacheRequests?: number;
  prefixCacheRequestHits?: number;
  prefixCacheMmHits?: number;
  /** Cached KV blocks whose content was dropped for room. */
  prefixCacheEvictions?: number;
  /** A VLM's encoder-output cache: lookups that hit and missed, entries evicted, bytes held and the budget. */
  encoderCacheHits?: number;
  encoderCacheMisses?: number;
  encoderCacheEvictions?: number;
  encoderCacheBytes?: number;
  encoderCacheBudgetBytes?: number;
  /** Sequences preempted (recomputed) so far. */
  numPreemptions?: number;
  /** Memory, in bytes: the KV budget, the KV pool allocated now, MLX's buffer cache and its limit, MLX arrays. */
  kvBudgetBytes?: number;
  kvPoolBytes?: number;
  mlxCacheBytes?: number;
  mlxCacheLimitBytes?: number;
  mlxActiveBytes?: number;
}

/**
 * One part of a multi-part message. Images and videos are kept for multimodal engines; their `param` names the
 * part in the client's API when a route translated it (e.g. `input[2].content[0]`), for error messages.
 */
export type ContentPart =
  | { type: "text"; text: string }
  | { type: "image_url"; image_url: { url: string; detail?: string }; param?: string }
  | { type: "video_url"; video_url: { url: string }; param?: string }
  | { type: "image"; image: string; param?: string }
  | { type: "video"; video: string; param?: string };

/** A tool call as it appears in an assistant message of the conversation history. */
export interface MessageToolCall {
  id: string;
  type: "function";
  /** `arguments` is parsed into an object when it is a JSON object (chat templates `tojson` it). */
  function: { name: string; arguments: Record<string, unknown> | string };
}

/**
 * A chat message in the wire shape chat templates read (`tool_calls`, `tool_call_id` stay snake_case so the
 * engine can hand messages to a Jinja template unchanged).
 */
export interface ChatMessage {
  role: "system" | "developer" | "user" | "assistant" | "tool";
  content: string | ContentPart[] | null;
  name?: string;
  tool_calls?: MessageToolCall[];
  tool_call_id?: string;
  /** Earlier reasoning the client sent back (some templates drop or render it). */
  reasoning_content?: string;
}

/** A function the model may call, in OpenAI's (and chat templates') shape. */
export interface ToolDefinition {
  type: "function";
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

export type ToolChoice = "auto" | "required" | { type: "function"; function: { name: string } };

/**
 * An output constraint the server asks for (`response_format`, `text.format`, vLLM's `structured_outputs`).
 * Forced tool calls come from `toolChoice` instead: the engine knows the model's tool-call syntax.
 */
export type StructuredOutputRequest = Exclude<StructuredOutputSpec, { type: "tool_call" }>;

/** A chat request: the engine applies the chat template. */
export interface ChatGenerateRequest {
  kind: "chat";
  messages: ChatMessage[];
  /** Absent when the client sent none or chose `tool_choice: "none"`. */
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  /** Extra template variables, e.g. `{ enable_thinking: false }`. */
  chatTemplateKwargs?: Record<string, unknown>;
  /**
   * The last message is an assistant turn to continue (a prefill: the output is what follows its text), as
   * Anthropic treats a final assistant message and vLLM's `continue_final_message`.
   */
  continueFinalMessage?: boolean;
  /** vLLM's `add_generation_prompt`: false renders the conversation without opening the assistant's turn (default true). */
  addGenerationPrompt?: boolean;
  /** Per-request video sampling (`video_fps`, `video_max_frames`); unset fields take the server's defaults. */
  videoSampling?: { fps?: number; maxFrames?: number };
}

/** A raw completion: text to tokenize, or token ids. */
export interface CompletionGenerateRequest {
  kind: "completion";
  prompt: string | number[];
}

/**
 * What the server asks the engine to generate.
 *
 * @example
 *   const request: GenerateRequest = {
 *     kind: "chat", requestId: "req-1", messages: [{ role: "user", content: "Hi" }],
 *     sampling: { maxTokens: 16, presencePenalty: 0, frequencyPenalty: 0, logitBias: {}, stop: [], n: 1,
 *                 logprobs: false, topLogprobs: 0 },
 *   };
 */
export type GenerateRequest = (ChatGenerateRequest | CompletionGenerateRequest) & {
  /** Unique per HTTP request; engines use it in logs. */
  requestId: string;
  sampling: SamplingParams;
  /** Constrains the output (JSON, a schema, a regex, choices, a grammar); absent means free text. */
  structured?: StructuredOutputRequest;
};

/** One alternative at a position. `bytes` are the token's UTF-8 bytes. */
export interface TopLogprob {
  token: string;
  logprob: number;
  bytes: number[];
}

/** The sampled token at a position, with its alternatives. */
export interface TokenLogprob extends TopLogprob {
  topLogprobs: TopLogprob[];
}

/**
 * The request was admitted (tokenized, fits the context, queued). Yield it before prefill: errors thrown
 * before `start` become HTTP error statuses; errors after it end the stream.
 */
export interface StartEvent {
  type: "start";
  promptTokens: number;
  /** Overrides {@link ReasoningTags.promptOpensReasoning} for this request (the template was rendered). */
  promptOpensReasoning?: boolean;
}

/** New text for one choice, already detokenized and stop-string-trimmed. */
export interface DeltaEvent {
  type: "delta";
  /** Choice index, 0..n-1. */
  index: number;
  text: string;
  tokenIds: number[];
  /** One entry per token in `tokenIds` when `sampling.logprobs` was asked for. */
  logprobs?: TokenLogprob[];
}

export type FinishReason = "stop" | "length" | "abort";

/** One choice is done. */
export interface FinishEvent {
  type: "finish";
  index: number;
  finishReason: FinishReason;
  completionTokens: number;
  /** The request's stop string that ended this choice (absent when EOS, a stop token or the limit did). */
  stopString?: string;
}

/** Totals, yielded last. `completionTokens` sums all choices; `promptTokens` counts the prompt once. */
export interface UsageEvent {
  type: "usage";
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens whose KV came from the prefix cache (OpenAI's `prompt_tokens_details.cached_tokens`); 0 when absent. */
  cachedTokens?: number;
}

export type EngineEvent = StartEvent | DeltaEvent | FinishEvent | UsageEvent;

/**
 * What {@link Engine.tokenize} reads: plain text, or chat messages rendered by the chat template exactly as
 * `submit` renders them.
 */
export type TokenizeInput =
  | { kind: "text"; prompt: string; addSpecialTokens: boolean }
  | {
      kind: "chat";
      messages: ChatMessage[];
      tools?: ToolDefinition[];
      chatTemplateKwargs?: Record<string, unknown>;
      addGenerationPrompt: boolean;
      /** As {@link ChatGenerateRequest.continueFinalMessage}; `addGenerationPrompt` is then ignored. */
      continueFinalMessage?: boolean;
      addSpecialTokens: boolean;
    };

/**
 * A generation engine.
 *
 * @example
 *   for await (const event of engine.submit(request, controller.signal)) {
 *     if (event.type === "delta") process.stdout.write(event.text);
 *   }
 */
export interface Engine {
  /**
   * Starts generating. Events arrive in order: `start`, then `delta`s and one `finish` per choice, then
   * `usage`. When `signal` aborts, the engine frees the sequence and ends the iterable promptly (it may yield
   * `finish` with reason `abort` first). Throws the typed errors below for bad or unservable requests.
   */
  submit(request: GenerateRequest, signal: AbortSignal): AsyncIterable<EngineEvent>;
  /** Token ids of a prompt, without generating. Throws {@link InvalidRequestError} for input the model can't take. */
  tokenize(input: TokenizeInput): Promise<number[]>;
  /** Text of token ids. Throws {@link InvalidRequestError} for an id outside the vocabulary. */
  detokenize(tokenIds: readonly number[]): Promise<string>;
  modelInfo(): ModelInfo;
  stats(): EngineStats;
}
