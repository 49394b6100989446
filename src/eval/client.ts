/**
 * One non-streaming request to an OpenAI-compatible server, as evaluations send them: greedy, with stop
 * strings, reading the text, the finish reason and the usage counts. 429 and 503 answers are retried after
 * their `Retry-After` (at most {@link MAX_ATTEMPTS} tries); any other failure is thrown.
 */
import { endpointUrl } from "../bench/client.ts";

export type EvalEndpoint = "completions" | "chat";

/** Where and how to send evaluation requests. */
export interface EvalClientConfig {
  /** Server URL, with or without the trailing `/v1`. */
  baseUrl: string;
  model: string;
  endpoint: EvalEndpoint;
  apiKey?: string;
}

/** The parts of an answer that an evaluation keeps. */
export interface Completion {
  text: string;
  finishReason: string | null;
  promptTokens: number;
  completionTokens: number;
}

/** The server could not be reached or answered with an error. */
export class EvalRequestError extends Error {
  override readonly name = "EvalRequestError";
}

const MAX_ATTEMPTS = 5;
const MAX_RETRY_WAIT_S = 30;

interface CompletionBody {
  choices?: { text?: string; message?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

function requestBody(config: EvalClientConfig, prompt: string, maxTokens: number, stop: string[]) {
  const input = config.endpoint === "chat" ? { messages: [{ role: "user", content: prompt }] } : { prompt };
  return { model: config.model, ...input, max_tokens: maxTokens, temperature: 0, stop, stream: false };
}

function retryWaitMs(response: Response, attempt: number): number {
  const raw = response.headers.get("retry-after");
  const header = raw === null || raw.trim() === "" ? NaN : Number(raw);
  const seconds = Number.isFinite(header) && header >= 0 ? header : 2 ** attempt;
  return Math.min(seconds, MAX_RETRY_WAIT_S) * 1000;
}

function readCompletion(json: CompletionBody): Completion {
  const choice = json.choices?.[0];
  const text = choice?.text ?? choice?.message?.content;
  if (typeof text !== "string") throw new EvalRequestError("the answer has no choices[0].text or message.content");
  return {
    text,
    finishReason: choice?.finish_reason ?? null,
    promptTokens: json.usage?.prompt_tokens ?? 0,
    completionTokens: json.usage?.completion_tokens ?? 0,
  };
}

/**
 * Sends one greedy request and returns its text and token counts.
 *
 * @example
 *   const c = await complete({ baseUrl: "http://127.0.0.1:8000/v1", model: "m", endpoint: "completions" },
 *     "Question: 1+1?\nAnswer:", 256, ["Question:"]);
 */
export async function complete(config: EvalClientConfig, prompt: string, maxTokens: number, stop: string[],
  signal?: AbortSignal): Promise<Completion> {
  const path = config.endpoint === "chat" ? "chat/completions" : "completions";
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;
  const body = JSON.stringify(requestBody(config, prompt, maxTokens, stop));
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(endpointUrl(config.baseUrl, path), { method: "POST", headers, body, signal });
    } catch (error) {
      throw new EvalRequestError(`POST /v1/${path} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    const text = await response.text();
    if (response.ok) {
      try {
        return readCompletion(JSON.parse(text) as CompletionBody);
      } catch (error) {
        if (error instanceof EvalRequestError) throw error;
        throw new EvalRequestError(`POST /v1/${path}: the answer is not JSON: ${text.slice(0, 200)}`);
      }
    }
    if ((response.status === 429 || response.status === 503) && attempt < MAX_ATTEMPTS) {
      await Bun.sleep(retryWaitMs(response, attempt));
      continue;
    }
    throw new EvalRequestError(`POST /v1/${path}: HTTP ${response.status}: ${text.slice(0, 300)}`);
  }
}
