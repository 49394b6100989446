/** `POST /v1/chat/completions`. */
import type { Hono } from "hono";
import type { EngineEvent, ModelInfo } from "../../engine/protocol.ts";
import { type ChoiceDecoderOptions, withTools } from "../parsers/choice-decoder.ts";
import { ChatChoices } from "../render/chat-choices.ts";
import { type ChatCompletionBody, ChatCompletionRequest, toChatGenerateRequest } from "../schemas/chat.ts";
import { checkModelLimits, parseBody, readJson } from "../schemas/common.ts";
import type { Generation } from "../generation.ts";
import { type AppEnv, checkGenerates, checkModel, choiceDecoderOptions, nowSeconds, type RouteDeps, responseId, startGeneration, usageOf } from "./context.ts";
import { streamGeneration } from "./sse.ts";

function decoderOptions(body: ChatCompletionBody, info: ModelInfo, first: EngineEvent | null): ChoiceDecoderOptions {
  const toolsActive = (body.tools?.length ?? 0) > 0 && body.tool_choice !== "none";
  return choiceDecoderOptions(info, first, toolsActive, body.parallel_tool_calls !== false);
}

function dispatch(choices: ChatChoices, event: EngineEvent) {
  if (event.type === "delta") return choices.delta(event);
  if (event.type === "finish") return choices.finish(event);
  return null;
}

async function collect(generation: Generation, first: EngineEvent | null, choices: ChatChoices): Promise<void> {
  for (let event = first; event !== null; event = (await generation.next()) as EngineEvent | null) {
    dispatch(choices, event);
  }
  for (const index of choices.unfinished()) {
    choices.finish({ type: "finish", index, finishReason: "abort", completionTokens: 0 });
  }
}

/**
 * Registers the chat completions route.
 *
 * @example
 *   registerChatRoute(app, deps);
 */
export function registerChatRoute(app: Hono<AppEnv>, deps: RouteDeps): void {
  app.post("/v1/chat/completions", async (c) => {
    const body = parseBody(ChatCompletionRequest, await readJson(c.req.raw));
    checkModel(deps, body.model);
    checkGenerates(deps);
    const request = toChatGenerateRequest(body, c.get("requestId"));
    checkModelLimits(request.sampling, deps.engine.modelInfo());
    const { generation, first } = await startGeneration(c, deps, request);
    const options = withTools(decoderOptions(body, deps.engine.modelInfo(), first), request);
    const n = request.sampling.n;
    const envelope = { id: responseId("chatcmpl"), created: nowSeconds(), model: body.model ?? deps.servedModelName };
    if (!body.stream) {
      const choices = new ChatChoices(n, options, 1, request.sampling.logprobs);
      try {
        await collect(generation, first, choices);
      } finally {
        generation.close();
      }
      return c.json({ ...envelope, object: "chat.completion", choices: choices.results(), usage: usageOf(generation) });
    }
    const choices = new ChatChoices(n, options, deps.streamInterval, request.sampling.logprobs);
    const includeUsage = body.stream_options?.include_usage === true;
    const chunk = (choiceList: unknown[]) => ({
      ...envelope,
      object: "chat.completion.chunk",
      choices: choiceList,
      ...(includeUsage ? { usage: null } : {}),
    });
    return streamGeneration(c, deps, generation, first, {
      begin: async (write) => {
        for (const role of choices.roleChunks()) await write(chunk([role]));
      },
      event: async (event, write) => {
        const out = dispatch(choices, event);
        if (out) await write(chunk([out]));
      },
      end: async (write) => {
        for (const index of choices.unfinished()) {
          await write(chunk([choices.finish({ type: "finish", index, finishReason: "abort", completionTokens: 0 })]));
        }
        if (includeUsage) await write({ ...chunk([]), usage: usageOf(generation) });
      },
    });
  });
}
