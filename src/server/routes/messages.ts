/** `POST /v1/messages` and `POST /v1/messages/count_tokens`: Anthropic's Messages API over the one engine request. */
import type { Hono } from "hono";
import type { EngineEvent } from "../../engine/protocol.ts";
import type { Generation } from "../generation.ts";
import { withTools } from "../parsers/choice-decoder.ts";
import { anthropicError, anthropicStop, anthropicStreamEvents, anthropicUsage, contentBlock } from "../render/anthropic.ts";
import { OutputBlocks } from "../render/output-blocks.ts";
import { checkModelLimits, parseBody, readJson } from "../schemas/common.ts";
import { CountTokensRequest, MessagesRequest, toChatMessages, toMessagesGenerateRequest, toPromptOptions } from "../schemas/messages.ts";
import { type AppEnv, checkGenerates, checkModel, choiceDecoderOptions, type RouteDeps, responseId, startGeneration } from "./context.ts";
import { type SseDialect, streamGeneration } from "./sse.ts";


async function collect(generation: Generation, first: EngineEvent | null, blocks: OutputBlocks): Promise<void> {
  for (let event = first; event !== null; event = (await generation.next()) as EngineEvent | null) {
    if (event.type === "delta" && event.index === 0) blocks.delta(event);
    else if (event.type === "finish" && event.index === 0) blocks.finish(event);
  }
  if (!blocks.end) blocks.finish({ finishReason: "abort" });
}

const ANTHROPIC_DIALECT = (requestId: string): SseDialect => ({
  namedEvents: true,
  doneSentinel: false,
  keepAlive: () => ({ type: "ping" }),
  errorPayload: (error) => anthropicError(error, requestId).body,
});

/**
 * Registers `/v1/messages` and `/v1/messages/count_tokens`. `tool_choice` "any" and a named tool reach the engine
 * as "required" and a named function, which it forces by grammar (a call of one of the tools, or of that tool).
 *
 * @example
 *   registerMessagesRoutes(app, deps);
 */
export function registerMessagesRoutes(app: Hono<AppEnv>, deps: RouteDeps): void {
  app.post("/v1/messages/count_tokens", async (c) => {
    const body = parseBody(CountTokensRequest, await readJson(c.req.raw));
    checkModel(deps, body.model);
    const { tools, chatTemplateKwargs, continueFinalMessage } = toPromptOptions(body);
    const ids = await deps.engine.tokenize({
      kind: "chat",
      messages: toChatMessages(body),
      ...(tools ? { tools } : {}),
      ...(chatTemplateKwargs ? { chatTemplateKwargs } : {}),
      ...(continueFinalMessage ? { continueFinalMessage } : {}),
      addGenerationPrompt: true,
      addSpecialTokens: true,
    });
    return c.json({ input_tokens: ids.length });
  });

  app.post("/v1/messages", async (c) => {
    const body = parseBody(MessagesRequest, await readJson(c.req.raw));
    checkModel(deps, body.model);
    const request = toMessagesGenerateRequest(body, c.get("requestId"));
    const { parallelToolCalls } = toPromptOptions(body);
    checkGenerates(deps);
    checkModelLimits(request.sampling, deps.engine.modelInfo());
    const { generation, first } = await startGeneration(c, deps, request);
    const options = withTools(choiceDecoderOptions(deps.engine.modelInfo(), first, request.kind === "chat" && request.tools !== undefined, parallelToolCalls), request);
    const id = responseId("msg").replace("msg-", "msg_");
    const envelope = { id, type: "message", role: "assistant", model: body.model };
    if (!body.stream) {
      const blocks = new OutputBlocks(options, 1);
      try {
        await collect(generation, first, blocks);
      } finally {
        generation.close();
      }
      const { promptTokens, completionTokens, cachedTokens } = generation.metrics;
      return c.json({
        ...envelope,
        content: blocks.blocks.map(contentBlock),
        ...anthropicStop(blocks.end),
        stop_details: null,
        usage: anthropicUsage(promptTokens, completionTokens, cachedTokens),
      });
    }
    const blocks = new OutputBlocks(options, deps.streamInterval);
    const writeAll = async (events: Record<string, unknown>[], write: (p: unknown) => Promise<void>) => {
      for (const e of events) await write(e);
    };
    return streamGeneration(c, deps, generation, first, {
      begin: async (write) => {
        const usage = anthropicUsage(generation.metrics.promptTokens, 0);
        const message = { ...envelope, content: [], stop_reason: null, stop_sequence: null, stop_details: null, usage };
        await write({ type: "message_start", message });
        await write({ type: "ping" });
      },
      event: async (event, write) => {
        if ((event.type === "delta" || event.type === "finish") && event.index !== 0) return;
        const out = event.type === "delta" ? blocks.delta(event) : event.type === "finish" ? blocks.finish(event) : [];
        await writeAll(out.flatMap(anthropicStreamEvents), write);
      },
      end: async (write) => {
        if (!blocks.end) await writeAll(blocks.finish({ finishReason: "abort" }).flatMap(anthropicStreamEvents), write);
        const { promptTokens, completionTokens, cachedTokens } = generation.metrics;
        await write({
          type: "message_delta",
          delta: { ...anthropicStop(blocks.end), stop_details: null },
          usage: anthropicUsage(promptTokens, completionTokens, cachedTokens),
        });
        await write({ type: "message_stop" });
      },
    }, ANTHROPIC_DIALECT(c.get("requestId")));
  });
}
