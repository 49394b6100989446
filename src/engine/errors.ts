/** The errors an engine answers a request with, each mapped by the server to its HTTP status (see protocol.ts). */

/** The prompt (plus `maxTokens`) does not fit the context. The server answers 413. */
export class ContextLengthError extends Error {
  override readonly name = "ContextLengthError";
  constructor(
    readonly promptTokens: number,
    readonly contextLength: number,
    readonly maxTokens?: number,
  ) {
    // OpenAI's and vLLM's wording, which clients match ("maximum context length") to shorten and retry.
    const asked = maxTokens === undefined
      ? `your prompt has ${promptTokens} tokens, which leaves no room for a completion. Please reduce the length of the prompt.`
      : `you requested ${promptTokens + maxTokens} tokens (${promptTokens} in the prompt, ${maxTokens} in the completion). ` +
        "Please reduce the length of the prompt or completion.";
    super(`This model's maximum context length is ${contextLength} tokens. However, ${asked}`);
  }
}

/**
 * The engine cannot take the request now. `status` 429 means "too many requests queued, retry later";
 * 503 means "not serving" (loading, shutting down, out of memory).
 */
export class CapacityError extends Error {
  override readonly name = "CapacityError";
  constructor(
    message: string,
    readonly status: 429 | 503 = 429,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** A request the engine cannot honour (e.g. an image for a text-only model). The server answers 400. */
export class InvalidRequestError extends Error {
  override readonly name = "InvalidRequestError";
  constructor(
    message: string,
    /** The offending request parameter, OpenAI-style (`messages[1].content`). */
    readonly param: string | null = null,
  ) {
    super(message);
  }
}
