/** The OpenAI-compatible API as the page uses it: models, metrics, and a streamed chat completion. */
import { errorMessage } from "./api-errors.ts";
import type { ContentPart } from "./attachments.ts";

/** What the server says about its model (`/v1/models`); capabilities are absent on servers that do not say. */
export interface ModelCard {
  id: string;
  contextLength: number | null;
  capabilities: { vision: boolean; video: boolean } | null;
}

/** The answer was refused or failed; `status` 401 means the API key is missing or wrong. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** A tool call as it streams in (arguments grow). */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** What a stream hands the page as it goes. */
export interface StreamUpdate {
  content: string;
  reasoning: string;
  toolCalls: ToolCall[];
  finishReason: string | null;
  completionTokens: number | null;
}

export interface ChatRequest {
  model: string;
  /** A user message with attachments has content parts; every other content is a string. */
  messages: { role: string; content: string | ContentPart[] }[];
  temperature: number;
  top_p: number;
  /** Left out when the model's whole context is asked for: the server then gives what the prompt leaves. */
  max_tokens?: number;
}

/**
 * The `max_tokens` to ask for: the setting, or nothing while the setting is still the page's default and that
 * default is at least the model's context (a server with a small `--max-model-len` would otherwise refuse every
 * request, the shortest included, for asking more than it holds). A value the user chose is always sent.
 */
export function requestMaxTokens(maxTokens: number, defaultMaxTokens: number, contextLength: number | null): number | undefined {
  return maxTokens === defaultMaxTokens && contextLength !== null && maxTokens >= contextLength ? undefined : maxTokens;
}

export class Api {
  /** False once /metrics answered 404 (`vllm-mlx chat` in front of another server): it is not asked again. */
  #metricsServed = true;

  constructor(private readonly key: () => string | null) {}

  get metricsServed(): boolean {
    return this.#metricsServed;
  }

  private headers(json = false): HeadersInit {
    const key = this.key();
    return { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...(json ? { "Content-Type": "application/json" } : {}) };
  }

  async models(): Promise<ModelCard[]> {
    const res = await this.get("/v1/models");
    const body = (await res.json()) as { data?: Record<string, unknown>[] };
    return (body.data ?? []).map((m) => {
      const caps = m.capabilities as { vision?: unknown; video?: unknown } | undefined;
      return {
        id: String(m.id),
        contextLength: typeof m.max_model_len === "number" ? m.max_model_len : null,
        capabilities: caps ? { vision: caps.vision === true, video: caps.video === true } : null,
      };
    });
  }

  /** The gauges the status strip shows, from Prometheus text; null when /metrics is not served (after a 404, never asked again). */
  async metrics(): Promise<Record<string, number> | null> {
    if (!this.#metricsServed) return null;
    const res = await fetch("/metrics", { headers: this.headers() });
    if (res.status === 401) throw new ApiError(401, await errorMessage(res));
    if (res.status === 404) this.#metricsServed = false;
    if (!res.ok) return null;
    const values: Record<string, number> = {};
    for (const line of (await res.text()).split("\n")) {
      const m = /^([a-z_]+) ([-+.\deE]+|NaN)$/.exec(line);
      if (m) values[m[1]!] = Number(m[2]);
    }
    return values;
  }

  private async get(path: string): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(path, { headers: this.headers() });
    } catch {
      throw new ApiError(0, "The server cannot be reached. Is it still running?");
    }
    if (!res.ok) throw new ApiError(res.status, await errorMessage(res));
    return res;
  }

  /**
   * Streams a chat completion, calling `onUpdate` with the whole answer so far after each chunk.
   * Resolves with the last update; an abort resolves with what had arrived.
   */
  async streamChat(request: ChatRequest, signal: AbortSignal, onUpdate: (u: StreamUpdate) => void): Promise<StreamUpdate> {
    const state: StreamUpdate = { content: "", reasoning: "", toolCalls: [], finishReason: null, completionTokens: null };
    let res: Response;
    try {
      res = await fetch("/v1/chat/completions", {
        method: "POST",
        headers: this.headers(true),
        body: JSON.stringify({ ...request, stream: true, stream_options: { include_usage: true } }),
        signal,
      });
    } catch (e) {
      if (signal.aborted) return state;
      throw new ApiError(0, "The server cannot be reached. Is it still running?");
    }
    if (!res.ok || !res.body) throw new ApiError(res.status, await errorMessage(res));
    try {
      for await (const data of sseData(res.body)) {
        if (data === "[DONE]") break;
        applyChunk(state, JSON.parse(data) as Chunk);
        onUpdate(state);
      }
    } catch (e) {
      if (signal.aborted) return state;
      if (e instanceof ApiError) throw e;
      throw new ApiError(0, `The stream broke off: ${(e as Error).message}`);
    }
    return state;
  }
}

interface Chunk {
  error?: { message?: string; code?: string };
  choices?: {
    delta?: {
      content?: string | null;
      reasoning_content?: string | null;
      reasoning?: string | null;
      tool_calls?: { index: number; id?: string; function?: { name?: string; arguments?: string } }[];
    };
    finish_reason?: string | null;
  }[];
  usage?: { completion_tokens?: number } | null;
}

function applyChunk(state: StreamUpdate, chunk: Chunk): void {
  if (chunk.error) throw new ApiError(500, chunk.error.message ?? "the server ended the answer with an error");
  for (const choice of chunk.choices ?? []) {
    const delta = choice.delta ?? {};
    if (delta.content) state.content += delta.content;
    const reasoning = delta.reasoning_content ?? delta.reasoning;
    if (reasoning) state.reasoning += reasoning;
    for (const call of delta.tool_calls ?? []) {
      const slot = (state.toolCalls[call.index] ??= { id: "", name: "", arguments: "" });
      if (call.id) slot.id = call.id;
      if (call.function?.name) slot.name += call.function.name;
      if (call.function?.arguments) slot.arguments += call.function.arguments;
    }
    if (choice.finish_reason) state.finishReason = choice.finish_reason;
  }
  if (chunk.usage?.completion_tokens !== undefined) state.completionTokens = chunk.usage.completion_tokens;
}

/** The `data:` payloads of an SSE body (comments and other fields skipped). */
async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
      const data = event.split(/\r?\n/).filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart());
      if (data.length > 0) yield data.join("\n");
    }
  }
}
