/** Request fields shared by chat and completions, and the zod-issue -> OpenAI `param` mapping. */
import { z } from "zod";
import type { SamplingParams } from "../../engine/protocol.ts";
import { ApiError } from "../errors.ts";

/** Most stop strings one request may carry (OpenAI's limit). */
export const MAX_STOP_STRINGS = 4;
/** Most choices one request may ask for. */
export const MAX_N = 64;

const tokenId = /^(0|[1-9][0-9]{0,9})$/;

/** Sampling fields accepted by both endpoints (OpenAI names plus vLLM's extensions). */
export const samplingFields = {
  model: z.string().optional(),
  max_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z
    .number()
    .gt(0, { message: "top_p must be in (0, 1]" })
    .max(1)
    .nullish(),
  top_k: z.number().int().min(-1, { message: "top_k must be -1 or 0 (disabled) or a positive integer" }).nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  seed: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  repetition_penalty: z.number().gt(0, { message: "repetition_penalty must be > 0" }).max(100).nullish(),
  logit_bias: z
    .record(
      z.string().regex(tokenId, { message: "logit_bias keys must be token ids" }),
      z.number().min(-100).max(100),
    )
    .nullish(),
  stop: z
    .union([z.string(), z.array(z.string()).max(MAX_STOP_STRINGS, { message: `at most ${MAX_STOP_STRINGS} stop strings` })])
    .nullish(),
  n: z.number().int().min(1).max(MAX_N).nullish(),
  user: z.string().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
};

type SamplingFieldValues = {
  [K in keyof typeof samplingFields]: z.infer<(typeof samplingFields)[K]>;
};

/**
 * Builds engine sampling params from validated fields (`null` and absent mean "default").
 *
 * @example
 *   toSampling({ temperature: 0, stop: "\n" }, { logprobs: false, topLogprobs: 0 }) // stop: ["\n"]
 */
export function toSampling(
  body: Partial<SamplingFieldValues>,
  extra: { maxTokens?: number | null; logprobs: boolean; topLogprobs: number },
): SamplingParams {
  const stop = body.stop == null ? [] : typeof body.stop === "string" ? [body.stop] : body.stop;
  const logitBias: Record<number, number> = {};
  for (const [key, value] of Object.entries(body.logit_bias ?? {})) logitBias[Number(key)] = value;
  const maxTokens = extra.maxTokens ?? body.max_tokens;
  return {
    ...(maxTokens == null ? {} : { maxTokens }),
    ...(body.temperature == null ? {} : { temperature: body.temperature }),
    ...(body.top_p == null ? {} : { topP: body.top_p }),
    ...(body.top_k == null ? {} : { topK: Math.max(0, body.top_k) }),
    ...(body.min_p == null ? {} : { minP: body.min_p }),
    ...(body.seed == null ? {} : { seed: body.seed }),
    ...(body.repetition_penalty == null ? {} : { repetitionPenalty: body.repetition_penalty }),
    presencePenalty: body.presence_penalty ?? 0,
    frequencyPenalty: body.frequency_penalty ?? 0,
    logitBias,
    stop: stop.filter((s) => s.length > 0),
    n: body.n ?? 1,
    logprobs: extra.logprobs,
    topLogprobs: extra.topLogprobs,
  };
}

/** `["messages", 0, "content"]` -> `messages[0].content`. */
export function formatParam(path: readonly PropertyKey[]): string | null {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? null : out;
}

/**
 * Validates `body` with `schema`; the first issue becomes a 400 whose `param` names the field.
 *
 * @example
 *   const body = parseBody(ChatCompletionRequest, json);
 */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = issue ? formatParam(issue.path) : null;
  const message = issue ? `${param ?? "body"}: ${issue.message}` : "invalid request body";
  throw new ApiError(400, message, { param, code: "invalid_value" });
}

/** Reads the body as JSON; anything that is not a JSON object is a 400. */
export async function readJson(request: Request): Promise<unknown> {
  let text: string;
  try {
    text = await request.text();
  } catch {
    throw new ApiError(400, "could not read the request body", { code: "invalid_body" });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(400, "request body is not valid JSON", { code: "invalid_json" });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ApiError(400, "request body must be a JSON object", { code: "invalid_json" });
  }
  return value;
}
