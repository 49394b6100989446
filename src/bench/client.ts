/**
 * A streaming OpenAI-compatible client that records timestamps for the benchmark arithmetic.
 *
 * Tokens are counted from the final `usage` chunk (`stream_options.include_usage`), never from SSE frames: a
 * server may pack several tokens into one frame. Fixed output lengths are asked for with `max_tokens` plus the
 * `min_tokens` / `ignore_eos` extra fields that vLLM-style servers honour and others ignore.
 */
import { chatContent } from "./images.ts";
import type { RequestRecord } from "./metrics.ts";

export type Endpoint = "chat" | "completions";

/** Where and how to send benchmark requests. */
export interface ClientConfig {
  /** Server root, e.g. `http://127.0.0.1:8000` (a trailing `/v1` is accepted). */
  baseUrl: string;
  model: string;
  endpoint: Endpoint;
  apiKey?: string;
  /** Adds `min_tokens` and `ignore_eos` fields for fixed output lengths (default true). */
  fixedOutput?: boolean;
  temperature?: number;
  /** Images sent with every chat request (`--image-size`, `--images-per-request`); not in the prompt-length probes. */
  images?: { next(): Promise<string[]> };
  /** Put the images before the text in the message (default after). */
  imagesFirst?: boolean;
}

/** The URL of an endpoint under `baseUrl`. */
export function endpointUrl(baseUrl: string, path: string): string {
  const root = baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "");
  return `${root}/v1/${path}`;
}

/** The JSON body of one streaming request; `imageUrls` go into a chat request's message (see {@link chatContent}). */
export function requestBody(config: ClientConfig, prompt: string, maxTokens: number,
  imageUrls: readonly string[] = []): Record<string, unknown> {
  if (imageUrls.length > 0 && config.endpoint !== "chat") throw new BenchClientError("images need the chat endpoint");
  const body: Record<string, unknown> = {
    model: config.model,
    max_tokens: maxTokens,
    temperature: config.temperature ?? 0,
    stream: true,
    stream_options: { include_usage: true },
  };
  if (config.endpoint === "chat") body.messages = [{ role: "user", content: chatContent(prompt, imageUrls, config.imagesFirst) }];
  else body.prompt = prompt;
  if (config.fixedOutput ?? true) {
    body.min_tokens = maxTokens;
    body.ignore_eos = true;
  }
  return body;
}

function headers(config: ClientConfig): Record<string, string> {
  const h: Record<string, string> = { "content-type": "application/json" };
  if (config.apiKey) h.authorization = `Bearer ${config.apiKey}`;
  return h;
}

interface StreamChunk {
  choices?: { delta?: { content?: string | null; reasoning_content?: string | null; reasoning?: string | null };
    text?: string }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string };
}

function chunkText(chunk: StreamChunk): string {
  let text = "";
  for (const choice of chunk.choices ?? []) {
    text += choice.text ?? "";
    text += choice.delta?.content ?? "";
    text += choice.delta?.reasoning_content ?? choice.delta?.reasoning ?? "";
  }
  return text;
}

/** Splits an SSE byte stream into the `data:` payloads of its events. */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    let cut = buffer.search(/\r?\n\r?\n/);
    while (cut >= 0) {
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, "");
      const data = event.split(/\r?\n/).filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart());
      if (data.length > 0) yield data.join("\n");
      cut = buffer.search(/\r?\n\r?\n/);
    }
  }
}

/**
 * Sends one streaming request and records when each content chunk arrived. Never throws: failures come back
 * as a record with `ok: false` and the error text.
 *
 * @example
 *   const record = await sendStreamingRequest(config, "Tell me a story", 128);
 *   console.log(record.outputTokens, record.chunkTimesMs.length);
 */
export async function sendStreamingRequest(
  config: ClientConfig,
  prompt: string,
  maxTokens: number,
  signal?: AbortSignal,
): Promise<RequestRecord> {
  let imageUrls: string[] = [];
  try {
    if (config.images) imageUrls = await config.images.next();
  } catch (error) {
    const now = performance.now();
    return { startMs: now, chunkTimesMs: [], endMs: now, promptTokens: 0, outputTokens: 0, ok: false,
      error: `making the request's images failed: ${error instanceof Error ? error.message : String(error)}` };
  }
  const record: RequestRecord = { startMs: performance.now(), chunkTimesMs: [], endMs: 0, promptTokens: 0,
    outputTokens: 0, ok: false };
  try {
    const path = config.endpoint === "chat" ? "chat/completions" : "completions";
    const response = await fetch(endpointUrl(config.baseUrl, path), {
      method: "POST", headers: headers(config), body: JSON.stringify(requestBody(config, prompt, maxTokens, imageUrls)),
      ...(signal ? { signal } : {}),
    });
    if (!response.ok || !response.body) {
      record.error = `HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`;
      return record;
    }
    await readStream(response.body, record);
  } catch (error) {
    record.error = error instanceof Error ? error.message : String(error);
  }
  record.endMs = record.endMs || performance.now();
  return record;
}

async function readStream(body: ReadableStream<Uint8Array>, record: RequestRecord): Promise<void> {
  let sawUsage = false;
  for await (const data of sseData(body)) {
    const now = performance.now();
    if (data === "[DONE]") break;
    const chunk = JSON.parse(data) as StreamChunk;
    if (chunk.error) {
      record.error = chunk.error.message ?? "error event in stream";
      return;
    }
    if (chunkText(chunk).length > 0) {
      record.chunkTimesMs.push(now);
      record.endMs = now;
    }
    if (chunk.usage) {
      sawUsage = true;
      record.promptTokens = chunk.usage.prompt_tokens ?? 0;
      record.outputTokens = chunk.usage.completion_tokens ?? 0;
    }
  }
  if (!sawUsage) {
    record.error = "the stream ended without a usage chunk (stream_options.include_usage unsupported?)";
    return;
  }
  record.ok = true;
}

/**
 * Sends one non-streaming request and returns the server's `usage.prompt_tokens` (used to calibrate prompt
 * lengths).
 */
export async function probePromptTokens(config: ClientConfig, prompt: string): Promise<number> {
  const { stream_options: _, min_tokens: __, ignore_eos: ___, ...rest } = requestBody(config, prompt, 1);
  const body = { ...rest, stream: false };
  const path = config.endpoint === "chat" ? "chat/completions" : "completions";
  const response = await fetch(endpointUrl(config.baseUrl, path), {
    method: "POST", headers: headers(config), body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new BenchClientError(`probe request failed: HTTP ${response.status}: ${text.slice(0, 300)}`);
  const tokens = (JSON.parse(text) as StreamChunk).usage?.prompt_tokens;
  if (typeof tokens !== "number") throw new BenchClientError("probe response has no usage.prompt_tokens");
  return tokens;
}

/** Lists the server's model ids (`GET /v1/models`). */
export async function listModels(config: Pick<ClientConfig, "baseUrl" | "apiKey">): Promise<string[]> {
  const response = await fetch(endpointUrl(config.baseUrl, "models"),
    { headers: config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {} });
  if (!response.ok) throw new BenchClientError(`GET /v1/models failed: HTTP ${response.status}`);
  const json = (await response.json().catch(() => null)) as { data?: { id: string }[] } | null;
  return (json?.data ?? []).map((m) => m.id);
}

/** A benchmark request could not be made or understood. */
export class BenchClientError extends Error {
  override readonly name = "BenchClientError";
}
