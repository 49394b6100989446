/** `POST /v1/completions` request schema and its conversion to a {@link GenerateRequest}. */
import { z } from "zod";
import type { GenerateRequest } from "../../engine/protocol.ts";
import { ApiError } from "../errors.ts";
import { samplingFields, toSampling } from "./common.ts";

const tokenIds = z.array(z.number().int().min(0)).min(1, { message: "prompt must not be empty" });

/** The completion request body. `logprobs` is the legacy integer (alternatives per position, 0-5). */
export const CompletionRequest = z.object({
  ...samplingFields,
  prompt: z.union([z.string(), tokenIds, z.array(z.string()), z.array(tokenIds)]),
  logprobs: z.number().int().min(0).max(5).nullish(),
  echo: z.boolean().nullish(),
  best_of: z.number().int().min(1).nullish(),
  suffix: z.string().nullish(),
});

export type CompletionBody = z.infer<typeof CompletionRequest>;

function singlePrompt(prompt: CompletionBody["prompt"]): string | number[] {
  if (typeof prompt === "string") return prompt;
  if (prompt.length === 0) throw new ApiError(400, "prompt must not be empty", { param: "prompt" });
  const first = prompt[0];
  if (typeof first === "number") return prompt as number[];
  if (prompt.length > 1) {
    throw new ApiError(400, "batched prompts are not supported; send one prompt per request", {
      param: "prompt",
      code: "unsupported_value",
    });
  }
  return first as string | number[];
}

/**
 * Converts a validated completion body into the engine request.
 *
 * @example
 *   toCompletionGenerateRequest(parseBody(CompletionRequest, { prompt: "Once" }), "req-1")
 */
export function toCompletionGenerateRequest(body: CompletionBody, requestId: string): GenerateRequest {
  if (body.suffix) throw new ApiError(400, "suffix is not supported", { param: "suffix", code: "unsupported_value" });
  const n = body.n ?? 1;
  if (body.best_of != null && body.best_of !== n) {
    throw new ApiError(400, "best_of other than n is not supported", { param: "best_of", code: "unsupported_value" });
  }
  const prompt = singlePrompt(body.prompt);
  if (body.echo && typeof prompt !== "string") {
    throw new ApiError(400, "echo needs a text prompt", { param: "echo", code: "unsupported_value" });
  }
  const logprobs = body.logprobs != null;
  return {
    kind: "completion",
    requestId,
    prompt,
    sampling: toSampling(body, { logprobs, topLogprobs: body.logprobs ?? 0 }),
  };
}
