/** `POST /tokenize` and `POST /detokenize` (vLLM's shapes), through the engine's tokenizer. */
import type { Hono } from "hono";
import type { TokenizeInput } from "../../engine/protocol.ts";
import { ApiError } from "../errors.ts";
import { toChatGenerateRequest } from "../schemas/chat.ts";
import { parseBody, readJson } from "../schemas/common.ts";
import { DetokenizeRequest, type TokenizeBody, tokenizeSchemaFor } from "../schemas/tokenize.ts";
import { type AppEnv, checkModel, type RouteDeps } from "./context.ts";

function tokenizeInput(body: TokenizeBody, requestId: string): TokenizeInput {
  if ("prompt" in body) return { kind: "text", prompt: body.prompt, addSpecialTokens: body.add_special_tokens };
  // The chat route's own translation, so messages and tools render here exactly as they do for generation.
  const chat = toChatGenerateRequest({ messages: body.messages, tools: body.tools, chat_template_kwargs: body.chat_template_kwargs }, requestId);
  if (body.continue_final_message && body.messages.at(-1)?.role !== "assistant") {
    throw new ApiError(400, "messages: continue_final_message needs an assistant message last", { param: "messages", code: "invalid_value" });
  }
  if (chat.kind !== "chat") throw new Error("unreachable");
  return {
    kind: "chat",
    messages: chat.messages,
    ...(chat.tools ? { tools: chat.tools } : {}),
    ...(chat.chatTemplateKwargs ? { chatTemplateKwargs: chat.chatTemplateKwargs } : {}),
    addGenerationPrompt: body.add_generation_prompt,
    ...(body.continue_final_message ? { continueFinalMessage: true } : {}),
    addSpecialTokens: body.add_special_tokens,
  };
}

function checkReady(deps: RouteDeps): void {
  const state = deps.engine.modelInfo().loadState;
  if (state !== "ready") throw new ApiError(503, `model is not ready (${state})`, { code: "model_not_ready" });
}

/**
 * Registers `/tokenize` and `/detokenize`.
 *
 * @example
 *   registerTokenizeRoutes(app, deps);
 */
export function registerTokenizeRoutes(app: Hono<AppEnv>, deps: RouteDeps): void {
  app.post("/tokenize", async (c) => {
    const json = await readJson(c.req.raw);
    const schema = tokenizeSchemaFor(json);
    if (!schema) throw new ApiError(400, "body: give prompt (a string) or messages (a list)", { code: "invalid_value" });
    const body: TokenizeBody = parseBody(schema, json);
    checkModel(deps, body.model);
    checkReady(deps);
    const tokens = await deps.engine.tokenize(tokenizeInput(body, c.get("requestId")));
    return c.json({ count: tokens.length, max_model_len: deps.engine.modelInfo().contextLength, tokens, token_strs: null });
  });

  app.post("/detokenize", async (c) => {
    const body = parseBody(DetokenizeRequest, await readJson(c.req.raw));
    checkModel(deps, body.model);
    checkReady(deps);
    return c.json({ prompt: await deps.engine.detokenize(body.tokens) });
  });
}
