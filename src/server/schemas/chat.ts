/** `POST /v1/chat/completions` request schema and its conversion to a {@link GenerateRequest}. */
import { z } from "zod";
import type { ChatMessage, GenerateRequest, MessageToolCall, ToolChoice } from "../../engine/protocol.ts";
import { ApiError } from "../errors.ts";
import { parseToolArguments, samplingFields, toSampling } from "./common.ts";
import { toolParametersProblem } from "./tool-schema.ts";
import { responseFormat, structuredFields, structuredRequest } from "./structured.ts";

const contentPart = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text"), text: z.string() }),
  z.object({ type: z.literal("image_url"), image_url: z.object({ url: z.string(), detail: z.string().optional() }) }),
  z.object({ type: z.literal("video_url"), video_url: z.object({ url: z.string() }) }),
  z.object({ type: z.literal("image"), image: z.string() }),
  z.object({ type: z.literal("video"), video: z.string() }),
]);

const content = z.union([z.string(), z.array(contentPart)]);

const toolCall = z.object({
  id: z.string(),
  type: z.literal("function").default("function"),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

const message = z.discriminatedUnion("role", [
  z.object({ role: z.literal("system"), content, name: z.string().optional() }),
  z.object({ role: z.literal("developer"), content, name: z.string().optional() }),
  z.object({ role: z.literal("user"), content, name: z.string().optional() }),
  z.object({
    role: z.literal("assistant"),
    content: content.nullish(),
    name: z.string().optional(),
    tool_calls: z.array(toolCall).nullish(),
    reasoning_content: z.string().nullish(),
    reasoning: z.string().nullish(),
  }),
  z.object({ role: z.literal("tool"), content, tool_call_id: z.string() }),
]);

const tool = z.object({
  type: z.literal("function"),
  function: z.object({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});

const toolChoice = z.union([
  z.enum(["none", "auto", "required"]),
  z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) }),
]);

/**
 * `continue_final_message` needs an assistant message last, and cannot be asked together with an explicit
 * `add_generation_prompt: true` (vLLM's rule; left unset, the generation prompt is simply not added).
 */
function checkContinuation(
  body: { messages: { role: string }[]; continue_final_message?: boolean | null; add_generation_prompt?: boolean | null },
  ctx: z.RefinementCtx,
): void {
  if (!body.continue_final_message) return;
  if (body.add_generation_prompt === true) {
    ctx.addIssue({ code: "custom", path: ["continue_final_message"], message: "cannot be true together with add_generation_prompt" });
  }
  if (body.messages.at(-1)?.role !== "assistant") {
    ctx.addIssue({ code: "custom", path: ["messages"], message: "continue_final_message needs an assistant message last" });
  }
}

/** The chat request body. Unknown keys are ignored. */
export const ChatCompletionRequest = z
  .object({
    ...samplingFields,
    messages: z.array(message).min(1, { message: "messages must not be empty" }),
    max_completion_tokens: z.number().int().min(1).nullish(),
    logprobs: z.boolean().nullish(),
    top_logprobs: z.number().int().min(0).max(20).nullish(),
    tools: z.array(tool).nullish(),
    tool_choice: toolChoice.nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    response_format: responseFormat.nullish(),
    ...structuredFields,
    chat_template_kwargs: z.record(z.string(), z.unknown()).nullish(),
    // vLLM's: continue the final assistant message (a prefill), or render without opening the assistant's turn.
    continue_final_message: z.boolean().nullish(),
    add_generation_prompt: z.boolean().nullish(),
    video_fps: z.number().positive().max(60).nullish(),
    video_max_frames: z.number().int().min(2).max(1024).nullish(),
  })
  .superRefine((body, ctx) => {
    checkContinuation(body, ctx);
    body.tools?.forEach((t, i) => {
      const problem = t.function.parameters === undefined ? null : toolParametersProblem(t.function.parameters);
      if (problem) ctx.addIssue({ code: "custom", path: ["tools", i, "function", "parameters"], message: problem });
    });
    if (body.top_logprobs != null && body.top_logprobs > 0 && body.logprobs !== true) {
      ctx.addIssue({ code: "custom", path: ["top_logprobs"], message: "top_logprobs requires logprobs: true" });
    }
  });

export type ChatCompletionBody = z.infer<typeof ChatCompletionRequest>;

function toMessage(m: ChatCompletionBody["messages"][number]): ChatMessage {
  if (m.role === "tool") return { role: "tool", content: m.content, tool_call_id: m.tool_call_id };
  if (m.role !== "assistant") return { role: m.role, content: m.content, ...(m.name ? { name: m.name } : {}) };
  const out: ChatMessage = { role: "assistant", content: m.content ?? null };
  if (m.name) out.name = m.name;
  const reasoning = m.reasoning_content ?? m.reasoning;
  if (reasoning) out.reasoning_content = reasoning;
  if (m.tool_calls && m.tool_calls.length > 0) {
    out.tool_calls = m.tool_calls.map(
      (call): MessageToolCall => ({
        id: call.id,
        type: "function",
        function: { name: call.function.name, arguments: parseToolArguments(call.function.arguments) },
      }),
    );
  }
  return out;
}

function toToolChoice(body: ChatCompletionBody): ToolChoice | undefined {
  const choice = body.tool_choice;
  if (choice == null || choice === "none") return undefined;
  if (typeof choice === "string") return choice;
  if (!body.tools?.some((t) => t.function.name === choice.function.name)) {
    throw new ApiError(400, `tool_choice names '${choice.function.name}', which is not in tools`, {
      param: "tool_choice",
      code: "invalid_value",
    });
  }
  return choice;
}

/**
 * Converts a validated chat body into the engine request. `tool_choice: "none"` drops the tools entirely.
 *
 * @example
 *   toChatGenerateRequest(parseBody(ChatCompletionRequest, json), "req-1")
 */
export function toChatGenerateRequest(body: ChatCompletionBody, requestId: string): GenerateRequest {
  const toolsActive = body.tools != null && body.tools.length > 0 && body.tool_choice !== "none";
  if (!toolsActive && (body.tool_choice === "required" || typeof body.tool_choice === "object")) {
    throw new ApiError(400, "tool_choice requires tools", { param: "tool_choice", code: "invalid_value" });
  }
  const toolChoice = toolsActive ? toToolChoice(body) : undefined;
  const structured = structuredRequest(body);
  if (structured && (toolChoice === "required" || typeof toolChoice === "object")) {
    throw new ApiError(400, "tool_choice forcing a call cannot be combined with an output constraint", { param: "tool_choice", code: "invalid_value" });
  }
  const logprobs = body.logprobs === true;
  return {
    kind: "chat",
    requestId,
    messages: body.messages.map(toMessage),
    ...(toolsActive
      ? {
          tools: body.tools!.map((t) => ({
            type: "function" as const,
            function: {
              name: t.function.name,
              ...(t.function.description === undefined ? {} : { description: t.function.description }),
              ...(t.function.parameters === undefined ? {} : { parameters: t.function.parameters }),
            },
          })),
        }
      : {}),
    ...(toolChoice === undefined ? {} : { toolChoice }),
    ...(body.chat_template_kwargs ? { chatTemplateKwargs: body.chat_template_kwargs } : {}),
    ...(body.continue_final_message ? { continueFinalMessage: true } : {}),
    ...(body.add_generation_prompt === false ? { addGenerationPrompt: false } : {}),
    ...(body.video_fps != null || body.video_max_frames != null
      ? { videoSampling: { ...(body.video_fps != null ? { fps: body.video_fps } : {}), ...(body.video_max_frames != null ? { maxFrames: body.video_max_frames } : {}) } }
      : {}),
    ...(structured ? { structured } : {}),
    sampling: toSampling(body, {
      maxTokens: body.max_completion_tokens ?? body.max_tokens,
      logprobs,
      topLogprobs: logprobs ? (body.top_logprobs ?? 0) : 0,
    }),
  };
}
