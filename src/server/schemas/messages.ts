/**
 * `POST /v1/messages` (Anthropic's Messages API) request schema and its translation into the one
 * {@link GenerateRequest} the engine sees: `system` and content blocks become chat messages, `tool_use` and
 * `tool_result` blocks become `tool_calls` and `tool` messages, `thinking` becomes the template's `enable_thinking`.
 */
import { z } from "zod";
import type { ChatMessage, ContentPart, GenerateRequest, MessageToolCall, ToolChoice, ToolDefinition } from "../../engine/protocol.ts";
import { ApiError } from "../errors.ts";
import { formatParam, MAX_STOP_LENGTH, MAX_STOP_STRINGS, toSampling } from "./common.ts";
import { toolParametersProblem } from "./tool-schema.ts";

const cacheControl = z.unknown().optional();

/**
 * A string or an array of `blocks`. A bad block is named by its index and field (`[1].input: …`), where zod's
 * union alone reports only "Invalid input".
 */
function stringOrBlocks<T extends z.ZodType>(blocks: T) {
  return z.union([z.string(), z.array(blocks)], {
    error: (issue) => {
      if (issue.code !== "invalid_union") return undefined;
      if (!Array.isArray(issue.input)) return "expected a string or an array of content blocks";
      const inner = issue.errors[1]?.[0];
      return inner ? `${formatParam(inner.path) ?? ""}: ${inner.message}` : undefined;
    },
  });
}
const textBlock = z.object({ type: z.literal("text"), text: z.string(), cache_control: cacheControl, citations: z.unknown().optional() });
const imageBlock = z.object({ type: z.literal("image"), source: z.looseObject({ type: z.string() }), cache_control: cacheControl });
const documentBlock = z.object({ type: z.literal("document"), source: z.looseObject({ type: z.string() }), cache_control: cacheControl });

const toolUseBlock = z.object({
  type: z.literal("tool_use"),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
  cache_control: cacheControl,
});

const toolResultBlock = z.object({
  type: z.literal("tool_result"),
  tool_use_id: z.string().min(1),
  content: stringOrBlocks(z.discriminatedUnion("type", [textBlock, imageBlock, documentBlock])).optional(),
  is_error: z.boolean().optional(),
  cache_control: cacheControl,
});

const thinkingBlock = z.object({ type: z.literal("thinking"), thinking: z.string(), signature: z.string().optional() });
const redactedThinkingBlock = z.object({ type: z.literal("redacted_thinking"), data: z.string() });

const contentBlock = z.discriminatedUnion("type", [
  textBlock,
  imageBlock,
  documentBlock,
  toolUseBlock,
  toolResultBlock,
  thinkingBlock,
  redactedThinkingBlock,
]);

/**
 * A turn. `system` is Anthropic's mid-conversation system message (Claude Code sends one after the user's turn):
 * text only, rendered as a system message where it sits; a leading one belongs in the top-level `system`.
 */
const message = z.object({
  role: z.enum(["user", "assistant", "system"]),
  content: stringOrBlocks(contentBlock),
});

const tool = z.object({
  type: z.literal("custom").optional(),
  name: z.string().min(1).max(128),
  description: z.string().optional(),
  input_schema: z.looseObject({ type: z.literal("object") }),
  cache_control: cacheControl,
});

const toolChoice = z.discriminatedUnion("type", [
  z.object({ type: z.literal("auto"), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal("any"), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal("tool"), name: z.string().min(1), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal("none") }),
]);

const thinking = z.discriminatedUnion("type", [
  z.object({ type: z.literal("enabled"), budget_tokens: z.number().int().min(1).optional(), display: z.string().nullish() }),
  z.object({ type: z.literal("adaptive"), display: z.string().nullish() }),
  z.object({ type: z.literal("disabled") }),
]);

/** What `/v1/messages` and `/v1/messages/count_tokens` share. Unknown keys are ignored. */
const promptFields = {
  model: z.string().min(1),
  messages: z.array(message).min(1, { message: "messages must not be empty" }),
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  tools: z.array(tool).optional(),
  tool_choice: toolChoice.optional(),
  thinking: thinking.optional(),
};

function checkTools(body: { tools?: z.infer<typeof tool>[] | undefined }, ctx: z.RefinementCtx): void {
  body.tools?.forEach((t, i) => {
    const problem = toolParametersProblem(t.input_schema);
    if (problem) ctx.addIssue({ code: "custom", path: ["tools", i, "input_schema"], message: problem });
  });
}

/**
 * Anthropic's rule: every message has content but a final assistant one (a prefill). An empty user turn would
 * otherwise vanish from the prompt (a user message is its blocks), leaving the turns around it out of order.
 */
function checkContent(body: { messages: z.infer<typeof message>[] }, ctx: z.RefinementCtx): void {
  body.messages.forEach((m, i) => {
    if (m.content.length > 0 || (m.role === "assistant" && i === body.messages.length - 1)) return;
    ctx.addIssue({
      code: "custom",
      path: ["messages", i, "content"],
      message: "all messages must have non-empty content except for the optional final assistant message",
    });
  });
}

/** Anthropic's rule for a prefill: the final assistant message's text may not end in whitespace. */
function checkPrefill(body: { messages: z.infer<typeof message>[] }, ctx: z.RefinementCtx): void {
  const last = body.messages.at(-1);
  if (last?.role !== "assistant") return;
  const texts = typeof last.content === "string" ? [last.content] : last.content.flatMap((b) => (b.type === "text" ? [b.text] : []));
  if (/\s$/.test(texts.at(-1) ?? "")) {
    ctx.addIssue({ code: "custom", path: ["messages", body.messages.length - 1, "content"], message: "final assistant content cannot end with trailing whitespace" });
  }
}

/** Anthropic's placement rule for a system message: never the first message (that is the top-level `system`). */
function checkSystemMessages(body: { messages: z.infer<typeof message>[] }, ctx: z.RefinementCtx): void {
  if (body.messages[0]?.role !== "system") return;
  ctx.addIssue({
    code: "custom",
    path: ["messages", 0, "role"],
    message: "a system message cannot be the first message; put the system prompt in the top-level system parameter",
  });
}

function checkPrompt(body: z.infer<z.ZodObject<typeof promptFields>>, ctx: z.RefinementCtx): void {
  checkContent(body, ctx);
  checkSystemMessages(body, ctx);
  checkPrefill(body, ctx);
  checkTools(body, ctx);
}

/** The Messages request body. */
export const MessagesRequest = z
  .object({
    ...promptFields,
    max_tokens: z.number().int().min(1),
    stop_sequences: z
      .array(z.string().max(MAX_STOP_LENGTH, { message: `stop sequences are at most ${MAX_STOP_LENGTH} characters` }))
      .max(MAX_STOP_STRINGS, { message: `at most ${MAX_STOP_STRINGS} stop sequences` })
      .optional(),
    stream: z.boolean().optional(),
    temperature: z.number().min(0).max(1).optional(),
    top_p: z.number().gt(0, { message: "top_p must be in (0, 1]" }).max(1).optional(),
    top_k: z.number().int().min(0).optional(),
    metadata: z.looseObject({ user_id: z.string().nullish() }).optional(),
  })
  .superRefine(checkPrompt);

/** The count_tokens request body: the prompt fields of a Messages request. */
export const CountTokensRequest = z.object(promptFields).superRefine(checkPrompt);

export type MessagesBody = z.infer<typeof MessagesRequest>;
export type CountTokensBody = z.infer<typeof CountTokensRequest>;
type Block = z.infer<typeof contentBlock>;

function unsupported(kind: string, param: string): never {
  throw new ApiError(400, `${param}: ${kind} blocks are not supported here`, { param, code: "invalid_value" });
}

/** The base64 image types Anthropic's API takes. */
const ANTHROPIC_IMAGE_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"];

/**
 * An image block as a media part: `source` `{type: "base64", media_type, data}` becomes a data URL,
 * `{type: "url", url}` the URL; `param` names the block for the engine's errors.
 */
function imagePart(block: z.infer<typeof imageBlock>, param: string): ContentPart {
  const source = block.source as Record<string, unknown>;
  if (source.type === "base64") {
    if (typeof source.media_type !== "string" || typeof source.data !== "string") {
      throw new ApiError(400, `${param}.source: a base64 image needs media_type and data strings`, { param: `${param}.source`, code: "invalid_value" });
    }
    if (!ANTHROPIC_IMAGE_TYPES.includes(source.media_type)) {
      throw new ApiError(400, `${param}.source.media_type: must be one of ${ANTHROPIC_IMAGE_TYPES.join(", ")}, got '${source.media_type}'`,
        { param: `${param}.source.media_type`, code: "invalid_value" });
    }
    return { type: "image_url", image_url: { url: `data:${source.media_type};base64,${source.data}` }, param };
  }
  if (source.type === "url") {
    if (typeof source.url !== "string") throw new ApiError(400, `${param}.source: a url image needs a url string`, { param: `${param}.source`, code: "invalid_value" });
    return { type: "image_url", image_url: { url: source.url }, param };
  }
  throw new ApiError(400, `${param}.source: image source type '${String(source.type)}' is not supported; use base64 or url`, { param: `${param}.source`, code: "invalid_value" });
}

function toolResultContent(block: z.infer<typeof toolResultBlock>, param: string): string | ContentPart[] {
  if (block.content === undefined) return "";
  if (typeof block.content === "string") return block.content;
  return block.content.map((part, k) => {
    if (part.type === "text") return { type: "text" as const, text: part.text };
    if (part.type === "image") return imagePart(part, `${param}.content[${k}]`);
    return unsupported(part.type, `${param}.content[${k}]`);
  });
}

function userMessages(blocks: Block[], param: string): ChatMessage[] {
  const out: ChatMessage[] = [];
  const text: ContentPart[] = [];
  blocks.forEach((block, j) => {
    const at = `${param}[${j}]`;
    if (block.type === "text") text.push({ type: "text", text: block.text });
    else if (block.type === "image") text.push(imagePart(block, at));
    else if (block.type === "tool_result") out.push({ role: "tool", tool_call_id: block.tool_use_id, content: toolResultContent(block, at) });
    else if (block.type === "document") unsupported(block.type, at);
    else throw new ApiError(400, `${at}: a user message cannot carry a ${block.type} block`, { param: at, code: "invalid_value" });
  });
  // Tool results answer the previous assistant turn, so they come before the user's own text.
  if (text.length > 0) out.push({ role: "user", content: text });
  return out;
}

function assistantMessage(blocks: Block[], param: string): ChatMessage {
  const text: ContentPart[] = [];
  const calls: MessageToolCall[] = [];
  let reasoning = "";
  blocks.forEach((block, j) => {
    const at = `${param}[${j}]`;
    if (block.type === "text") text.push({ type: "text", text: block.text });
    else if (block.type === "thinking") reasoning += block.thinking;
    else if (block.type === "tool_use") calls.push({ id: block.id, type: "function", function: { name: block.name, arguments: block.input } });
    else if (block.type === "image" || block.type === "document") unsupported(block.type, at);
    else if (block.type !== "redacted_thinking") {
      throw new ApiError(400, `${at}: an assistant message cannot carry a ${block.type} block`, { param: at, code: "invalid_value" });
    }
  });
  const out: ChatMessage = { role: "assistant", content: text.length > 0 ? text : calls.length > 0 ? null : "" };
  if (calls.length > 0) out.tool_calls = calls;
  if (reasoning !== "") out.reasoning_content = reasoning;
  return out;
}

/** A mid-conversation system message's text blocks, joined as the top-level `system`'s are. */
function systemText(blocks: Block[], param: string): string {
  return blocks
    .map((block, j) => {
      if (block.type === "text") return block.text;
      const at = `${param}[${j}]`;
      throw new ApiError(400, `${at}: a system message cannot carry a ${block.type} block`, { param: at, code: "invalid_value" });
    })
    .join("\n");
}

/** Chat messages from `system` and `messages`. */
export function toChatMessages(body: CountTokensBody): ChatMessage[] {
  const out: ChatMessage[] = [];
  if (body.system !== undefined) {
    const system = typeof body.system === "string" ? body.system : body.system.map((b) => b.text).join("\n");
    if (system !== "") out.push({ role: "system", content: system });
  }
  body.messages.forEach((m, i) => {
    if (typeof m.content === "string") out.push({ role: m.role, content: m.content });
    else if (m.role === "user") out.push(...userMessages(m.content, `messages[${i}].content`));
    else if (m.role === "system") out.push({ role: "system", content: systemText(m.content, `messages[${i}].content`) });
    else out.push(assistantMessage(m.content, `messages[${i}].content`));
  });
  return out;
}

/**
 * The prompt's tools, tool choice and template kwargs, as both endpoints render them. A final assistant message
 * without tool calls is a prefill the model continues (`continueFinalMessage`), as Anthropic answers it.
 */
export function toPromptOptions(body: CountTokensBody): {
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  chatTemplateKwargs?: Record<string, unknown>;
  continueFinalMessage?: boolean;
  parallelToolCalls: boolean;
} {
  const choice = body.tool_choice;
  const toolsActive = (body.tools?.length ?? 0) > 0 && choice?.type !== "none";
  if (!toolsActive && (choice?.type === "any" || choice?.type === "tool")) {
    throw new ApiError(400, "tool_choice: requires tools", { param: "tool_choice", code: "invalid_value" });
  }
  if (choice?.type === "tool" && !body.tools!.some((t) => t.name === choice.name)) {
    throw new ApiError(400, `tool_choice: names '${choice.name}', which is not in tools`, { param: "tool_choice", code: "invalid_value" });
  }
  const tools = toolsActive
    ? body.tools!.map((t): ToolDefinition => ({
        type: "function",
        function: { name: t.name, parameters: t.input_schema, ...(t.description === undefined ? {} : { description: t.description }) },
      }))
    : undefined;
  // "any" and a named tool travel to the engine as "required" and a named function, which it forces by grammar.
  const toolChoice: ToolChoice | undefined = !toolsActive
    ? undefined
    : choice?.type === "any"
      ? "required"
      : choice?.type === "tool"
        ? { type: "function", function: { name: choice.name } }
        : "auto";
  const kwargs = body.thinking === undefined ? undefined : { enable_thinking: body.thinking.type !== "disabled" };
  const last = body.messages.at(-1)!;
  const prefill = last.role === "assistant" && (typeof last.content === "string" || !last.content.some((b) => b.type === "tool_use"));
  return {
    ...(tools ? { tools } : {}),
    ...(prefill ? { continueFinalMessage: true } : {}),
    ...(toolChoice ? { toolChoice } : {}),
    ...(kwargs ? { chatTemplateKwargs: kwargs } : {}),
    parallelToolCalls: !(choice !== undefined && choice.type !== "none" && choice.disable_parallel_tool_use === true),
  };
}

/**
 * The engine request of a Messages body.
 *
 * @example
 *   toMessagesGenerateRequest(parseBody(MessagesRequest, json), "req-1")
 */
export function toMessagesGenerateRequest(body: MessagesBody, requestId: string): GenerateRequest {
  const { parallelToolCalls: _, ...prompt } = toPromptOptions(body);
  return {
    kind: "chat",
    requestId,
    messages: toChatMessages(body),
    ...prompt,
    sampling: toSampling(
      { temperature: body.temperature ?? null, top_p: body.top_p ?? null, top_k: body.top_k ?? null, stop: body.stop_sequences ?? null },
      { maxTokens: body.max_tokens, logprobs: false, topLogprobs: 0 },
    ),
  };
}
