/** Request fields shared by chat and completions, and the zod-issue -> OpenAI `param` mapping. */
import { z } from "zod";
import type { ModelInfo, SamplingParams } from "../../engine/protocol.ts";
import { ApiError } from "../errors.ts";
import { jsonDepthExceeds } from "./json-depth.ts";

/** Most stop strings one request may carry. */
export const MAX_STOP_STRINGS = 16;
/** Longest stop string, in characters. */
export const MAX_STOP_LENGTH = 1000;
/** Most choices one request may ask for. */
export const MAX_N = 16;
/** Most `logit_bias` entries (OpenAI's limit). */
export const MAX_LOGIT_BIAS_ENTRIES = 300;
/** `n × max_tokens` may reach this many times the context length: bounds the tokens one request can hold. */
export const MAX_OUTPUT_CONTEXTS = 16;
/** Deepest nesting of arrays and objects in a request body. */
export const MAX_JSON_DEPTH = 64;

/** A decimal token id below 10^9 (ids at or past the vocabulary size are refused per model, see {@link checkModelLimits}). */
const tokenId = /^(0|[1-9][0-9]{0,8})$/;

const stopString = z.string().max(MAX_STOP_LENGTH, { message: `stop strings are at most ${MAX_STOP_LENGTH} characters` });

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
    .record(z.string(), z.number().min(-100).max(100))
    .superRefine((bias, ctx) => {
      const keys = Object.keys(bias);
      if (keys.length > MAX_LOGIT_BIAS_ENTRIES) {
        ctx.addIssue({ code: "custom", message: `at most ${MAX_LOGIT_BIAS_ENTRIES} logit_bias entries (got ${keys.length})` });
      }
      const bad = keys.find((key) => !tokenId.test(key));
      if (bad !== undefined) {
        ctx.addIssue({ code: "custom", path: [bad], message: "keys must be token ids: whole numbers from 0, below the vocabulary size" });
      }
    })
    .nullish(),
  stop: z
    .union([
      stopString,
      z.array(stopString).max(MAX_STOP_STRINGS, { message: `at most ${MAX_STOP_STRINGS} stop strings` }),
    ])
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

/** zod's own message for a union no branch of which matched (a schema's custom union message is kept). */
const DEFAULT_UNION_MESSAGE = "Invalid input";

/** A branch of a union that failed only because the value is not of its type (`expected string, received array`). */
function typeMismatch(branch: readonly z.core.$ZodIssue[]): boolean {
  return branch.length > 0 && branch.every((issue) => issue.code === "invalid_type" && issue.path.length === 0);
}

/**
 * The issue worth reporting: zod reports a union none of whose branches matched as a bare "Invalid input". When the
 * value has the type of exactly one branch (`stop` as an array of 17 strings), that branch's own issue is reported,
 * under the union's path; when it has none of the branches' types, the types expected are named.
 */
export function reportableIssue(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string } {
  if (issue.code !== "invalid_union" || issue.message !== DEFAULT_UNION_MESSAGE || issue.errors.length === 0) {
    return { path: [...issue.path], message: issue.message };
  }
  const matched = issue.errors.filter((branch) => !typeMismatch(branch));
  const inner = matched.length === 1 ? matched[0]![0] : undefined;
  if (inner) {
    const resolved = reportableIssue(inner);
    return { path: [...issue.path, ...resolved.path], message: resolved.message };
  }
  if (matched.length === 0) {
    const expected = [...new Set(issue.errors.flatMap((branch) => branch.map((i) => (i.code === "invalid_type" ? i.expected : ""))))];
    const received = /received (\w+)$/.exec(issue.errors[0]![0]!.message)?.[1];
    return { path: [...issue.path], message: `Invalid input: expected ${expected.join(" or ")}${received ? `, received ${received}` : ""}` };
  }
  return { path: [...issue.path], message: issue.message };
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
  const first = result.error.issues[0];
  const issue = first ? reportableIssue(first) : undefined;
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
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    throw new ApiError(400, `request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`, { code: "invalid_json" });
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

/**
 * Checks what depends on the served model: `logit_bias` ids below the vocabulary size (when the engine knows
 * it), and `n × max_tokens` at most {@link MAX_OUTPUT_CONTEXTS} context lengths. A 400 naming the field.
 *
 * @example
 *   checkModelLimits(request.sampling, engine.modelInfo());
 */
export function checkModelLimits(sampling: SamplingParams, info: ModelInfo): void {
  const vocabSize = info.vocabSize;
  if (vocabSize !== undefined) {
    const outside = Object.keys(sampling.logitBias).find((id) => Number(id) >= vocabSize);
    if (outside !== undefined) {
      throw new ApiError(400, `logit_bias: token id ${outside} is outside the vocabulary (${vocabSize} tokens)`, {
        param: `logit_bias.${outside}`,
        code: "invalid_value",
      });
    }
  }
  const budget = MAX_OUTPUT_CONTEXTS * info.contextLength;
  if (sampling.maxTokens !== undefined && info.contextLength > 0 && sampling.n * sampling.maxTokens > budget) {
    throw new ApiError(400, `n × max_tokens (${sampling.n} × ${sampling.maxTokens}) exceeds ${budget} tokens (${MAX_OUTPUT_CONTEXTS} context lengths)`, {
      param: "max_tokens",
      code: "invalid_value",
    });
  }
}

/**
 * A tool call's `arguments` string as the chat template wants it: the object when it is a JSON object, else the
 * string as given.
 *
 * @example
 *   parseToolArguments('{"city": "Paris"}') // { city: "Paris" }
 */
export function parseToolArguments(raw: string): Record<string, unknown> | string {
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {}
  return raw;
}
