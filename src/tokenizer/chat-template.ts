/** Chat templates: OpenAI-shaped messages rendered through the model's own Jinja template. */
import { Template } from "@huggingface/jinja";
import type { NamedTemplate } from "./config.ts";
import { ChatTemplateError } from "./errors.ts";

/** A content part of an OpenAI message; text parts are `{type: "text", text}`, others (images) pass through. */
export type ContentPart = { type: "text"; text: string } | { type: string; [key: string]: unknown };

/** An OpenAI tool call on an assistant message; `arguments` is the JSON string OpenAI sends. */
export interface ToolCall {
  id?: string;
  type?: "function";
  function: { name: string; arguments: string | Record<string, unknown> };
}

/** An OpenAI-shaped chat message. `reasoning_content` (or `reasoning`) carries a previous turn's thinking. */
export interface ChatMessage {
  role: string;
  content?: string | ContentPart[] | null;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  reasoning_content?: string | null;
  reasoning?: string | null;
}

/** An OpenAI tool definition. */
export interface ToolDefinition {
  type: "function";
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

/** Options of {@link ChatTemplate.render}. */
export interface ChatTemplateOptions {
  tools?: ToolDefinition[];
  /** Append the assistant header so the model answers next (default true; ignored with `continueFinalMessage`). */
  addGenerationPrompt?: boolean;
  /**
   * The last message is an assistant turn the model continues (a prefill): the prompt ends with its text, the turn
   * left open (vLLM's `continue_final_message`, Anthropic's final assistant message). An empty one is dropped and the
   * generation prompt added instead.
   */
  continueFinalMessage?: boolean;
  /** Extra template variables, e.g. `{enable_thinking: false}`. */
  chatTemplateKwargs?: Record<string, unknown>;
  /** RAG documents, for templates that take them. */
  documents?: Record<string, unknown>[];
}

/** The special-token strings a template may reference. */
export interface TemplateSpecialTokens {
  bos_token?: string;
  eos_token?: string;
  pad_token?: string;
  unk_token?: string;
}

/**
 * Used when a tokenizer has no chat template: ChatML, the format transformers once applied by default.
 * Each message renders as `<|im_start|>{role}\n{content}<|im_end|>\n`; the generation prompt is
 * `<|im_start|>assistant\n`. Tool calls and tools are not rendered.
 */
export const FALLBACK_CHAT_TEMPLATE =
  "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}" +
  "{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Most numbers the `range()` calls of one render may produce together. The library's `range` builds its whole
 * list before the loop starts, so a template's `range(10**9)` (or loops nested deep) would take gigabytes and
 * hold the thread that renders; past this budget (well under a second of loop) the render fails instead.
 */
export const RANGE_BUDGET = 100_000;

/** The context name `range` is renamed to in a compiled template (the library lets no context value replace its own). */
const BOUNDED_RANGE = "__vllm_mlx_bounded_range";

/** Points every `range` identifier of a parsed template at {@link BOUNDED_RANGE}; attribute names and keyword-argument keys stay. */
function boundRange(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) boundRange(item);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const n = node as Record<string, unknown>;
  if (n.type === "Identifier" && n.value === "range") n.value = BOUNDED_RANGE;
  for (const [key, child] of Object.entries(n)) {
    if (n.type === "MemberExpression" && key === "property" && !n.computed) continue;
    if (n.type === "KeywordArgumentExpression" && key === "key") continue;
    boundRange(child);
  }
}

/** Jinja's `range(stop)` / `range(start, stop[, step])`, sharing one budget of {@link RANGE_BUDGET} numbers. */
function boundedRange(): (start: number, stop?: number, step?: number) => number[] {
  let left = RANGE_BUDGET;
  return (start, stop, step = 1) => {
    if (stop === undefined) [start, stop] = [0, start];
    if (step === 0) throw new Error("range() step must not be zero");
    const count = Math.max(0, Math.ceil((stop - start) / step)) || 0;
    if (count > left) throw new Error(`range() asked for ${count} numbers; a render may use at most ${RANGE_BUDGET} in all`);
    left -= count;
    return Array.from({ length: count }, (_, i) => start + i * step);
  };
}

function compile(source: string, name: string): Template {
  let template: Template;
  try {
    template = new Template(source);
  } catch (e) {
    throw new ChatTemplateError(`chat template "${name}" failed to parse: ${errorText(e)}`, errorText(e));
  }
  boundRange(template.parsed);
  return template;
}

function normalizeContent(content: ChatMessage["content"]): string | ContentPart[] {
  if (content === undefined || content === null) return "";
  if (typeof content === "string") return content;
  const allText = content.every((part) => part.type === "text");
  if (allText) return textParts(content).join("\n");
  return content.map((part) => ({ ...part }));
}

function normalizeToolCall(call: ToolCall): Record<string, unknown> {
  let args: unknown = call.function.arguments;
  if (typeof args === "string") {
    try {
      args = JSON.parse(args);
    } catch {
      // Not JSON: keep the string; templates that test `arguments is string` still render it.
    }
  }
  const out: Record<string, unknown> = { type: call.type ?? "function", function: { name: call.function.name, arguments: args } };
  if (call.id !== undefined) out.id = call.id;
  return out;
}

/**
 * Converts an OpenAI message into the shape HF templates expect: content as a string (text parts joined
 * with "\n") or, when non-text parts are present, as the part list; tool-call arguments parsed to objects;
 * `reasoning` copied to `reasoning_content`. Keys that are absent stay absent (templates test `is defined`).
 *
 * @example
 *   normalizeMessage({role: "user", content: [{type: "text", text: "hi"}]}) // {role: "user", content: "hi"}
 */
export function normalizeMessage(message: ChatMessage): Record<string, unknown> {
  const out: Record<string, unknown> = { ...message, content: normalizeContent(message.content) };
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  if (message.tool_calls !== undefined) out.tool_calls = message.tool_calls.map(normalizeToolCall);
  const reasoning = message.reasoning_content ?? message.reasoning;
  delete out.reasoning;
  if (reasoning !== undefined && reasoning !== null) out.reasoning_content = reasoning;
  return out;
}

/**
 * A model's compiled chat template(s).
 *
 * @example
 *   const t = new ChatTemplate("{% for m in messages %}{{ m.content }}{% endfor %}", {});
 *   t.render([{role: "user", content: "hi"}]) // "hi"
 */
export class ChatTemplate {
  readonly #templates = new Map<string, Template>();
  /** True when the model shipped no template and {@link FALLBACK_CHAT_TEMPLATE} is used. */
  readonly isFallback: boolean;

  constructor(
    source: string | NamedTemplate[] | undefined,
    private readonly specialTokens: TemplateSpecialTokens,
  ) {
    this.isFallback = source === undefined;
    if (source === undefined) this.#templates.set("default", compile(FALLBACK_CHAT_TEMPLATE, "fallback"));
    else if (typeof source === "string") this.#templates.set("default", compile(source, "default"));
    else for (const t of source) this.#templates.set(t.name, compile(t.template, t.name));
  }

  /** Template names, e.g. `["default", "tool_use"]`. */
  get names(): string[] {
    return [...this.#templates.keys()];
  }

  #select(hasTools: boolean): Template {
    const chosen = (hasTools ? this.#templates.get("tool_use") : undefined) ?? this.#templates.get("default");
    if (chosen === undefined) {
      throw new ChatTemplateError(`no "default" chat template among: ${this.names.join(", ")}`, "");
    }
    return chosen;
  }

  /** Renders a conversation to the prompt string. Empty `tools` is treated as no tools. */
  render(messages: ChatMessage[], options: ChatTemplateOptions = {}): string {
    if (!options.continueFinalMessage) return this.#render(messages, options.addGenerationPrompt ?? true, options);
    const last = messages.at(-1);
    if (last?.role !== "assistant") {
      throw new ChatTemplateError("continuing the final message needs an assistant message last", "no final assistant message");
    }
    const prefill = finalText(last.content);
    if (prefill === "") return this.#render(messages.slice(0, -1), true, options);
    return openTurn(this.#render(messages, false, options), prefill);
  }

  /**
   * The template's rendering; a template that refuses a system message past the first (Mistral's, say: OpenAI and
   * Anthropic both allow one mid-conversation) gets them folded into the user turns beside them, once.
   */
  #render(messages: ChatMessage[], addGenerationPrompt: boolean, options: ChatTemplateOptions): string {
    try {
      return this.#renderOnce(messages, addGenerationPrompt, options);
    } catch (e) {
      const folded = foldLateSystem(messages);
      if (!(e instanceof ChatTemplateError) || folded === null) throw e;
      return this.#renderOnce(folded, addGenerationPrompt, options);
    }
  }

  #renderOnce(messages: ChatMessage[], addGenerationPrompt: boolean, options: ChatTemplateOptions): string {
    const tools = options.tools !== undefined && options.tools.length > 0 ? options.tools : undefined;
    const context: Record<string, unknown> = { ...options.chatTemplateKwargs };
    for (const [key, value] of Object.entries(this.specialTokens)) if (value !== undefined) context[key] = value;
    context.messages = messages.map(normalizeMessage);
    context.add_generation_prompt = addGenerationPrompt;
    if (tools !== undefined) context.tools = tools;
    if (options.documents !== undefined) context.documents = options.documents;
    context[BOUNDED_RANGE] = boundedRange();
    const template = this.#select(tools !== undefined);
    try {
      return template.render(context);
    } catch (e) {
      throw new ChatTemplateError(`chat template failed to render: ${errorText(e)}`, errorText(e));
    }
  }
}

/**
 * `messages` with each system message past the first folded into a user turn: appended to the user message before
 * it, else put before the user message after it, else made a user message. Null when there is none to fold.
 */
export function foldLateSystem(messages: readonly ChatMessage[]): ChatMessage[] | null {
  if (!messages.some((m, i) => i > 0 && m.role === "system")) return null;
  const out: ChatMessage[] = [];
  let carried: string[] = [];
  for (const [i, m] of messages.entries()) {
    if (i > 0 && m.role === "system") {
      const prev = out.at(-1);
      const text = typeof m.content === "string" ? m.content : textParts(m.content).join("\n");
      if (prev?.role === "user" && carried.length === 0) out[out.length - 1] = withText(prev, text, "after");
      else carried.push(text);
      continue;
    }
    if (carried.length > 0 && m.role === "user") {
      out.push(withText(m, carried.join("\n\n"), "before"));
      carried = [];
      continue;
    }
    if (carried.length > 0) {
      out.push({ role: "user", content: carried.join("\n\n") });
      carried = [];
    }
    out.push(m);
  }
  if (carried.length > 0) out.push({ role: "user", content: carried.join("\n\n") });
  return out;
}

/** `m` with `text` added before or after its content (a part list keeps its images: the text goes in as a part). */
function withText(m: ChatMessage, text: string, where: "before" | "after"): ChatMessage {
  if (typeof m.content === "string" || m.content == null) {
    const own = m.content ?? "";
    return { ...m, content: where === "after" ? `${own}\n\n${text}` : `${text}\n\n${own}` };
  }
  const part = { type: "text" as const, text };
  return { ...m, content: where === "after" ? [...m.content, part] : [part, ...m.content] };
}

/** The texts of a part list's text parts, in order. */
function textParts(content: readonly ContentPart[] | null | undefined): string[] {
  return (content ?? []).filter((part) => part.type === "text").map((part) => String(part.text ?? ""));
}

/** The text a final assistant message is continued from: its string, or its last text part. */
function finalText(content: ChatMessage["content"]): string {
  return typeof content === "string" ? content : (textParts(content).at(-1) ?? "");
}

/**
 * `rendered` (the conversation with its final assistant turn closed) cut just after that turn's text, so the turn
 * stays open. Templates that trim contents render the text trimmed; one that renders it otherwise cannot be continued.
 */
function openTurn(rendered: string, prefill: string): string {
  for (const text of [prefill, prefill.trim()]) {
    const at = text === "" ? -1 : rendered.lastIndexOf(text);
    if (at !== -1) return rendered.slice(0, at + text.length);
  }
  throw new ChatTemplateError("the chat template does not render the final assistant message's text as given, so it cannot be continued",
    "final message not found in the rendered prompt");
}
