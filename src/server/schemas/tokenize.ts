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
  add_special_tokens: z.boolean().default(false),
});

/**
 * `{prompt, add_special_tokens = true}` or `{messages, tools?, chat_template_kwargs?, add_generation_prompt = true,
 * add_special_tokens = false}`, as vLLM takes them.
 */
export const TokenizeRequest = z.union([completionTokenize, chatTokenize]);

/** `{tokens}`: the ids to turn back into text. */
export const DetokenizeRequest = z.object({
  model: z.string().optional(),
  tokens: z.array(z.number().int().min(0)),
});

export type TokenizeBody = z.infer<typeof TokenizeRequest>;
