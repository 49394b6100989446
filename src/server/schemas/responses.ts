/**
 * `POST /v1/responses` (OpenAI's Responses API) request schema and its translation into the one
 * {@link GenerateRequest}: `instructions` and input items become chat messages, `function_call` and
 * `function_call_output` items become `tool_calls` and `tool` messages, `reasoning.effort` turns thinking on or off.
 */
import { z } from "zod";
import type { ChatMessage, ContentPart, GenerateRequest, ToolChoice, ToolDefinition } from "../../engine/protocol.ts";
import { ApiError } from "../errors.ts";
import { parseToolArguments, toSampling } from "./common.ts";
import { toolParametersProblem } from "./tool-schema.ts";
import { fromTextFormat, textFormat } from "./structured.ts";

const inputPart = z.discriminatedUnion("type", [
  z.object({ type: z.literal("input_text"), text: z.string() }),
  z.object({ type: z.literal("output_text"), text: z.string() }),
  z.object({ type: z.literal("refusal"), refusal: z.string() }),
  z.looseObject({ type: z.literal("input_image") }),
  z.looseObject({ type: z.literal("input_file") }),
  z.looseObject({ type: z.literal("input_audio") }),
]);

const messageItem = z.object({
  type: z.literal("message").optional(),
  id: z.string().optional(),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([z.string(), z.array(inputPart)]),
  status: z.string().optional(),
});

const functionCallItem = z.object({
  type: z.literal("function_call"),
  id: z.string().optional(),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
  status: z.string().optional(),
});

const functionCallOutputItem = z.object({
  type: z.literal("function_call_output"),
  id: z.string().nullish(),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(inputPart)]),
  status: z.string().nullish(),
});

const reasoningItem = z.object({
  type: z.literal("reasoning"),
  id: z.string().optional(),
  summary: z.array(z.object({ type: z.literal("summary_text"), text: z.string() })).default([]),
  content: z.array(z.object({ type: z.literal("reasoning_text"), text: z.string() })).nullish(),
  encrypted_content: z.string().nullish(),
  status: z.string().optional(),
});

/** An input item, chosen by its `type` (absent: a message), so a bad item's error names its field. */
const inputItem = z.discriminatedUnion("type", [messageItem, functionCallItem, functionCallOutputItem, reasoningItem]);

const functionTool = z.object({
  type: z.literal("function"),
  name: z.string().min(1),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

/** A `namespace` tool: function tools grouped under a name; a call of one comes back with `namespace` (Codex's MCP and agent tools). */
const namespaceTool = z.object({
  type: z.literal("namespace"),
  name: z.string().min(1),
  description: z.string().nullish(),
  tools: z.array(z.looseObject({ type: z.string() })),
});

/**
 * OpenAI's hosted tools, which OpenAI runs: a local server has none to run, so they are left out of the prompt
 * (Codex sends `web_search` with every request) rather than refused.
 */
const HOSTED_TOOLS = new Set([
  "web_search", "web_search_preview", "web_search_preview_2025_03_11", "web_search_2025_08_26",
  "file_search", "code_interpreter", "image_generation", "computer_use_preview", "mcp",
]);

type ToolEntry = { type: string } & Record<string, unknown>;

/** Checks one function tool at `path`, naming its bad field. */
function checkFunctionTool(t: ToolEntry, path: (string | number)[], ctx: z.RefinementCtx): void {
  const parsed = functionTool.safeParse(t);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    ctx.addIssue({ code: "custom", path: [...path, ...issue.path], message: issue.message });
    return;
  }
  const problem = parsed.data.parameters == null ? null : toolParametersProblem(parsed.data.parameters);
  if (problem) ctx.addIssue({ code: "custom", path: [...path, "parameters"], message: problem });
}

/** Checks a namespace tool and its functions; a namespaced name already taken could not be told apart in a call. */
function checkNamespaceTool(t: ToolEntry, i: number, names: Set<string>, ctx: z.RefinementCtx): void {
  const parsed = namespaceTool.safeParse(t);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    ctx.addIssue({ code: "custom", path: ["tools", i, ...issue.path], message: issue.message });
    return;
  }
  parsed.data.tools.forEach((inner, j) => {
    const path = ["tools", i, "tools", j];
    if (inner.type !== "function") {
      ctx.addIssue({ code: "custom", path: [...path, "type"], message: `tool type '${inner.type}' is not supported in a namespace; only 'function'` });
      return;
    }
    checkFunctionTool(inner, path, ctx);
    if (typeof inner.name !== "string") return;
    if (names.has(inner.name)) ctx.addIssue({ code: "custom", path: [...path, "name"], message: `function name '${inner.name}' is already used by another tool` });
    names.add(inner.name);
  });
}

/** The Responses request body. Unknown keys (`include`, `truncation`, `service_tier`, …) are ignored. */
export const ResponsesRequest = z
  .object({
    model: z.string().optional(),
    input: z.union([z.string(), z.array(inputItem)]),
    instructions: z.string().nullish(),
    tools: z.array(z.looseObject({ type: z.string() })).nullish(),
    tool_choice: z
      .union([z.enum(["none", "auto", "required"]), z.object({ type: z.literal("function"), name: z.string().min(1) })])
      .nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    reasoning: z.object({ effort: z.enum(["none", "minimal", "low", "medium", "high", "xhigh"]).nullish(), summary: z.string().nullish() }).nullish(),
    text: z.object({ format: textFormat.nullish(), verbosity: z.string().nullish() }).nullish(),
    max_output_tokens: z.number().int().min(1).nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().gt(0, { message: "top_p must be in (0, 1]" }).max(1).nullish(),
    stream: z.boolean().nullish(),
    store: z.boolean().nullish(),
    previous_response_id: z.string().nullish(),
    metadata: z.record(z.string(), z.string()).nullish(),
    user: z.string().nullish(),
  })
  .superRefine((body, ctx) => {
    const tools = body.tools ?? [];
    const names = new Set(tools.flatMap((t) => (t.type === "function" && typeof t.name === "string" ? [t.name] : [])));
    tools.forEach((t, i) => {
      if (t.type === "function") checkFunctionTool(t, ["tools", i], ctx);
      else if (t.type === "namespace") checkNamespaceTool(t, i, names, ctx);
      else if (!HOSTED_TOOLS.has(t.type)) {
        ctx.addIssue({ code: "custom", path: ["tools", i, "type"], message: `tool type '${t.type}' is not supported; only 'function' and 'namespace' (hosted tools are left out)` });
      }
    });
  });

export type ResponsesBody = z.infer<typeof ResponsesRequest>;
type InputPart = z.infer<typeof inputPart>;

/** A validated body's function tools, a namespace's functions in its place (hosted tools left out). */
function flatFunctions(body: ResponsesBody): ToolEntry[] {
  return (body.tools ?? []).flatMap((t) => (t.type === "function" ? [t] : t.type === "namespace" ? namespaceTool.parse(t).tools : []));
}

/** The namespace of each namespaced function, by name: its calls come back with `namespace`. */
export function toolNamespaces(body: ResponsesBody): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of body.tools ?? []) {
    if (t.type !== "namespace") continue;
    const ns = namespaceTool.parse(t);
    for (const f of ns.tools) out.set(functionTool.parse(f).name, ns.name);
  }
  return out;
}

/** The function tools of a validated body, in the chat template's shape. */
export function functionTools(body: ResponsesBody): ToolDefinition[] {
  return flatFunctions(body).map((t) => {
    const f = functionTool.parse(t);
    return {
      type: "function",
      function: {
        name: f.name,
        ...(f.description == null ? {} : { description: f.description }),
        ...(f.parameters == null ? {} : { parameters: f.parameters }),
      },
    };
  });
}

/** An `input_image` part (`image_url`: an http(s) or data URL) as a media part labelled for the engine's errors. */
function imagePart(part: Record<string, unknown>, param: string): ContentPart {
  if (typeof part.image_url === "string" && part.image_url !== "") return { type: "image_url", image_url: { url: part.image_url }, param };
  const why = part.file_id !== undefined ? "file_id images are not supported; send image_url" : "an input_image needs an image_url string";
  throw new ApiError(400, `${param}: ${why}`, { param, code: "invalid_value" });
}

function textParts(parts: string | InputPart[], param: string): string | ContentPart[] {
  if (typeof parts === "string") return parts;
  return parts.map((part, k): ContentPart => {
    if (part.type === "input_text" || part.type === "output_text") return { type: "text", text: part.text };
    if (part.type === "refusal") return { type: "text", text: part.refusal };
    if (part.type === "input_image") return imagePart(part, `${param}[${k}]`);
    throw new ApiError(400, `${param}[${k}]: ${part.type} parts are not supported`, {
      param: `${param}[${k}]`,
      code: "invalid_value",
    });
  });
}

/**
 * Chat messages of the input items. Reasoning items attach to the next assistant turn; `function_call` items join
 * the assistant message before them (or start one).
 */
export function inputMessages(input: ResponsesBody["input"]): ChatMessage[] {
  if (typeof input === "string") return [{ role: "user", content: input }];
  const out: ChatMessage[] = [];
  let reasoning = "";
  const assistant = (): ChatMessage => {
    const last = out.at(-1);
    if (last?.role === "assistant" && reasoning === "") return last;
    const message: ChatMessage = { role: "assistant", content: null };
    if (reasoning !== "") message.reasoning_content = reasoning;
    reasoning = "";
    out.push(message);
    return message;
  };
  input.forEach((item, i) => {
    if (item.type === "reasoning") {
      reasoning += [...(item.content ?? []), ...item.summary].map((p) => p.text).join("");
    } else if (item.type === "function_call") {
      const message = assistant();
      (message.tool_calls ??= []).push({ id: item.call_id, type: "function", function: { name: item.name, arguments: parseToolArguments(item.arguments) } });
    } else if (item.type === "function_call_output") {
      out.push({ role: "tool", tool_call_id: item.call_id, content: textParts(item.output, `input[${i}].output`) });
    } else if (item.role === "assistant") {
      const message: ChatMessage = { role: "assistant", content: textParts(item.content, `input[${i}].content`) };
      if (reasoning !== "") message.reasoning_content = reasoning;
      reasoning = "";
      out.push(message);
    } else {
      out.push({ role: item.role, content: textParts(item.content, `input[${i}].content`) });
    }
  });
  return out;
}

function toToolChoice(body: ResponsesBody, tools: ToolDefinition[]): ToolChoice | undefined {
  const choice = body.tool_choice;
  if (choice == null || choice === "none") return undefined;
  if (typeof choice === "string") return choice;
  if (!tools.some((t) => t.function.name === choice.name)) {
    throw new ApiError(400, `tool_choice: names '${choice.name}', which is not in tools`, { param: "tool_choice", code: "invalid_value" });
  }
  return { type: "function", function: { name: choice.name } };
}

/**
 * The engine request of a Responses body continuing `history` (a stored conversation, or none). `reasoning.effort`
 * "none" or "minimal" sets `enable_thinking: false`; other efforts set it true; absent leaves the template's default.
 *
 * @example
 *   toResponsesGenerateRequest(body, [], "req-1")
 */
export function toResponsesGenerateRequest(body: ResponsesBody, history: ChatMessage[], requestId: string): GenerateRequest {
  const tools = functionTools(body);
  const toolsActive = tools.length > 0 && body.tool_choice !== "none";
  if (!toolsActive && (body.tool_choice === "required" || typeof body.tool_choice === "object")) {
    throw new ApiError(400, "tool_choice: requires tools", { param: "tool_choice", code: "invalid_value" });
  }
  const toolChoice = toolsActive ? toToolChoice(body, tools) : undefined;
  const structured = fromTextFormat(body.text?.format);
  if (structured && (toolChoice === "required" || typeof toolChoice === "object")) {
    throw new ApiError(400, "tool_choice: forcing a call cannot be combined with text.format", { param: "tool_choice", code: "invalid_value" });
  }
  const effort = body.reasoning?.effort;
  const instructions: ChatMessage[] = body.instructions ? [{ role: "system", content: body.instructions }] : [];
  return {
    kind: "chat",
    requestId,
    messages: [...instructions, ...history, ...inputMessages(body.input)],
    ...(toolsActive ? { tools } : {}),
    ...(toolChoice ? { toolChoice } : {}),
    ...(structured ? { structured } : {}),
    ...(effort == null ? {} : { chatTemplateKwargs: { enable_thinking: effort !== "none" && effort !== "minimal" } }),
    sampling: toSampling(
      { temperature: body.temperature ?? null, top_p: body.top_p ?? null },
      { maxTokens: body.max_output_tokens ?? null, logprobs: false, topLogprobs: 0 },
    ),
  };
}
