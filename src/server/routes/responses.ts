/** `POST /v1/responses`, `GET /v1/responses/{id}` and `DELETE /v1/responses/{id}`: OpenAI's Responses API. */
import type { Hono } from "hono";
import type { ChatMessage, EngineEvent, MessageToolCall } from "../../engine/protocol.ts";
import { ApiError } from "../errors.ts";
import type { Generation } from "../generation.ts";
import { withTools } from "../parsers/choice-decoder.ts";
import { type OutputBlock, OutputBlocks } from "../render/output-blocks.ts";
import { ResponseOutput, responseStatus } from "../render/responses-output.ts";
import type { ResponsesStore } from "../responses-store.ts";
import { checkModelLimits, parseBody, parseToolArguments, readJson } from "../schemas/common.ts";
import { type ResponsesBody, ResponsesRequest, toolNamespaces, toResponsesGenerateRequest } from "../schemas/responses.ts";
import { type AppEnv, checkGenerates, checkModel, choiceDecoderOptions, nowSeconds, type RouteDeps, responseId, startGeneration } from "./context.ts";
import { type SseDialect, streamGeneration } from "./sse.ts";

type Json = Record<string, unknown>;

/** The assistant turn a response adds to its conversation. */
function assistantTurn(blocks: readonly OutputBlock[]): ChatMessage {
  let text = "";
  let reasoning = "";
  const calls: MessageToolCall[] = [];
  for (const b of blocks) {
    if (b.kind === "text") text += b.text;
    else if (b.kind === "thinking") reasoning += b.text;
    else calls.push({ id: b.call.id, type: "function", function: { name: b.call.function.name, arguments: parseToolArguments(b.call.function.arguments) } });
  }
  const turn: ChatMessage = { role: "assistant", content: text === "" && calls.length > 0 ? null : text };
  if (reasoning !== "") turn.reasoning_content = reasoning;
  if (calls.length > 0) turn.tool_calls = calls;
  return turn;
}

/** The response object's fields that echo the request. */
function echo(body: ResponsesBody, model: string): Json {
  return {
    object: "response",
    model,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    parallel_tool_calls: body.parallel_tool_calls !== false,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: body.reasoning?.effort ?? null, summary: null },
    store: body.store !== false,
    temperature: body.temperature ?? null,
    text: { format: body.text?.format ?? { type: "text" } },
    tool_choice: body.tool_choice ?? "auto",
    tools: body.tools ?? [],
    top_p: body.top_p ?? null,
    truncation: "disabled",
    metadata: body.metadata ?? {},
    user: body.user ?? null,
    error: null,
  };
}

function usage(generation: Generation): Json {
  const { promptTokens, completionTokens, cachedTokens } = generation.metrics;
  return {
    input_tokens: promptTokens,
    input_tokens_details: { cached_tokens: cachedTokens },
    output_tokens: completionTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: promptTokens + completionTokens,
  };
}

function history(store: ResponsesStore, body: ResponsesBody): ChatMessage[] {
  if (!body.previous_response_id) return [];
  const previous = store.get(body.previous_response_id);
  if (!previous) {
    throw new ApiError(404, `Previous response with id '${body.previous_response_id}' not found.`, {
      param: "previous_response_id",
      code: "previous_response_not_found",
    });
  }
  return previous.conversation;
}


const RESPONSES_DIALECT = (output: ResponseOutput): SseDialect => ({
  namedEvents: true,
  doneSentinel: false,
  errorPayload: (error) => output.stamp({ type: "error", code: error.code, message: error.message, param: error.param }),
});

function blockEvents(blocks: OutputBlocks, event: EngineEvent) {
  if (event.type === "delta" && event.index === 0) return blocks.delta(event);
  if (event.type === "finish" && event.index === 0) return blocks.finish(event);
  return [];
}

/**
 * Registers the Responses routes over `store` (`previous_response_id`, GET and DELETE).
 *
 * @example
 *   registerResponsesRoutes(app, deps, new ResponsesStore());
 */
export function registerResponsesRoutes(app: Hono<AppEnv>, deps: RouteDeps, store: ResponsesStore): void {
  app.post("/v1/responses", async (c) => {
    const body = parseBody(ResponsesRequest, await readJson(c.req.raw));
    checkModel(deps, body.model);
    const past = history(store, body);
    const request = toResponsesGenerateRequest(body, past, c.get("requestId"));
    checkGenerates(deps);
    checkModelLimits(request.sampling, deps.engine.modelInfo());
    const { generation, first } = await startGeneration(c, deps, request, "input");
    const toolsActive = request.kind === "chat" && request.tools !== undefined;
    const options = withTools(choiceDecoderOptions(deps.engine.modelInfo(), first, toolsActive, body.parallel_tool_calls !== false), request);
    const id = responseId("resp").replace("resp-", "resp_");
    const base = { id, created_at: nowSeconds(), ...echo(body, body.model ?? deps.servedModelName) };
    const output = new ResponseOutput(toolNamespaces(body));
    const blocks = new OutputBlocks(options, body.stream ? deps.streamInterval : 1);
    const conversation = request.kind === "chat" ? request.messages.slice(body.instructions ? 1 : 0) : [];
    const finalResponse = (): Json => {
      const { status, incomplete_details } = responseStatus(blocks.end);
      const response = { ...base, status, completed_at: nowSeconds(), incomplete_details, output: output.items(status), usage: usage(generation) };
      if (body.store !== false) store.put(id, { response, conversation: [...conversation, assistantTurn(blocks.blocks)] });
      return response;
    };
    if (!body.stream) {
      try {
        for (let event = first; event !== null; event = (await generation.next()) as EngineEvent | null) {
          for (const e of blockEvents(blocks, event)) output.record(e);
        }
        if (!blocks.end) for (const e of blocks.finish({ finishReason: "abort" })) output.record(e);
      } finally {
        generation.close();
      }
      return c.json(finalResponse());
    }
    const pending = { ...base, status: "in_progress", completed_at: null, incomplete_details: null, output: [], usage: null };
    return streamGeneration(c, deps, generation, first, {
      begin: async (write) => {
        await write(output.stamp({ type: "response.created", response: pending }));
        await write(output.stamp({ type: "response.in_progress", response: pending }));
      },
      event: async (event, write) => {
        // Items closed by the finish of a cut-off output are incomplete (blocks.end is set once the finish arrived).
        for (const e of blockEvents(blocks, event)) for (const out of output.events(e, responseStatus(blocks.end).status)) await write(out);
      },
      end: async (write) => {
        if (!blocks.end) for (const e of blocks.finish({ finishReason: "abort" })) for (const out of output.events(e)) await write(out);
        const response = finalResponse();
        const type = response.status === "incomplete" ? "response.incomplete" : "response.completed";
        await write(output.stamp({ type, response }));
      },
    }, RESPONSES_DIALECT(output));
  });

  app.get("/v1/responses/:id", (c) => {
    const stored = store.get(c.req.param("id"));
    if (!stored) throw new ApiError(404, `Response with id '${c.req.param("id")}' not found.`, { param: "id", code: "not_found" });
    return c.json(stored.response);
  });

  app.delete("/v1/responses/:id", (c) => {
    const id = c.req.param("id");
    if (!store.delete(id)) throw new ApiError(404, `Response with id '${id}' not found.`, { param: "id", code: "not_found" });
    return c.json({ id, object: "response.deleted", deleted: true });
  });
}
