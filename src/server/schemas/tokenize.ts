/** `POST /tokenize` and `POST /detokenize` request schemas, in vLLM's shapes. */
import { z } from "zod";
import { ChatCompletionRequest } from "./chat.ts";

const completionTokenize = z.object({
  model: z.string().optional(),
  prompt: z.string(),
  add_special_tokens: z.boolean().default(true),
});

const chatTokenize = z.object({
  model: z.string().optional(),
  messages: ChatCompletionRequest.shape.messages,
  tools: ChatCompletionRequest.shape.tools,
  chat_template_kwargs: ChatCompletionRequest.shape.chat_template_kwargs,
  add_generation_prompt: z.boolean().default(true),
  continue_final_message: z.boolean().default(false),
  add_special_tokens: z.boolean().default(false),
});

/**
 * `{prompt, add_special_tokens = true}` or `{messages, tools?, chat_template_kwargs?, add_generation_prompt = true,
 * continue_final_message = false, add_special_tokens = false}`, as vLLM takes them.
 */
export const TokenizeRequest = z.union([completionTokenize, chatTokenize]);

/**
 * The {@link TokenizeRequest} branch a body means: `prompt` (which wins, as in vLLM, when both are given) or
 * `messages`, so an error names the bad field instead of the union's "Invalid input"; null when it has neither.
 */
export function tokenizeSchemaFor(body: unknown): typeof completionTokenize | typeof chatTokenize | null {
  if (typeof body !== "object" || body === null) return null;
  if ("prompt" in body) return completionTokenize;
  return "messages" in body ? chatTokenize : null;
}

/** `{tokens}`: the ids to turn back into text. */
export const DetokenizeRequest = z.object({
  model: z.string().optional(),
  tokens: z.array(z.number().int().min(0)),
});

export type TokenizeBody = z.infer<typeof TokenizeRequest>;
