/** Request -> prompt token ids: chat templating, tokenization and the context-length check. */
import { ChatTemplateError, type ChatTemplateOptions, type ChatMessage as TemplateMessage, type ModelTokenizer, TokenizerError } from "../../tokenizer/index.ts";
import { type ChatGenerateRequest, type ChatMessage, ContextLengthError, type GenerateRequest, InvalidRequestError, type TokenizeInput } from "../protocol.ts";
import { mediaParts, type PromptMedia } from "./media-inputs.ts";

/** A tokenized prompt and the completion budget it leaves. */
export interface PreparedPrompt {
  tokenIds: number[];
  /** The request's images and videos, preprocessed, in prompt order (absent for a prompt without media). */
  media?: PromptMedia[];
  /** Completion tokens per choice. */
  maxTokens: number;
  /** The rendered chat prompt ends inside a reasoning span (`<think>` opened, not closed). */
  promptOpensReasoning?: boolean;
}

export interface PromptLimits {
  contextLength: number;
  /** Used when the request sets no max tokens (still capped by the context). */
  defaultMaxTokens?: number;
  /** The reasoning start tag, when the model has one. */
  reasoningStart?: string;
}

/** Refuses the first media part: `why` says what takes text only (this model, or tokenize). */
function checkMessages(request: { messages: ChatMessage[] }, why = "this model has no vision: it takes text only"): void {
  const part = mediaParts(request.messages)[0];
  if (part) {
    const kind = part.kind === "video" ? "a video" : "an image";
    throw new InvalidRequestError(`${part.param}: ${why}, and got ${kind} part`, part.param);
  }
}

/**
 * The chat template's options for a chat request or a chat tokenize input: tools, template variables, and how the
 * prompt ends (the assistant's turn opened, a final assistant message continued, or neither).
 */
export function templateOptions(request: Pick<ChatGenerateRequest, "tools" | "chatTemplateKwargs" | "continueFinalMessage" | "addGenerationPrompt">): ChatTemplateOptions {
  return {
    ...(request.tools && request.tools.length > 0 ? { tools: request.tools } : {}),
    ...(request.chatTemplateKwargs ? { chatTemplateKwargs: request.chatTemplateKwargs } : {}),
    ...(request.continueFinalMessage ? { continueFinalMessage: true } : {}),
    ...(request.addGenerationPrompt === false ? { addGenerationPrompt: false } : {}),
  };
}

function renderChat(tokenizer: ModelTokenizer, request: ChatGenerateRequest): string {
  checkMessages(request);
  try {
    return tokenizer.applyChatTemplate(request.messages as TemplateMessage[], templateOptions(request));
  } catch (e) {
    if (e instanceof ChatTemplateError) throw new InvalidRequestError(e.message, "messages");
    throw e;
  }
}

function completionTokens(tokenizer: ModelTokenizer, prompt: string | number[]): number[] {
  if (typeof prompt === "string") return tokenizer.encode(prompt);
  const bad = prompt.findIndex((id) => !Number.isInteger(id) || id < 0 || id >= tokenizer.vocabSize);
  if (bad !== -1) throw new InvalidRequestError(`token id ${prompt[bad]} is outside the vocabulary`, "prompt");
  return prompt;
}

/**
 * Renders and tokenizes a request and sizes its completion. Throws {@link ContextLengthError} when the
 * prompt plus `maxTokens` exceeds the context, {@link InvalidRequestError} for input the model can't take.
 *
 * @example
 *   preparePrompt(tok, { kind: "completion", prompt: "Hi", requestId: "r", sampling }, { contextLength: 4096 })
 */
export function preparePrompt(tokenizer: ModelTokenizer, request: GenerateRequest, limits: PromptLimits): PreparedPrompt {
  let tokenIds: number[];
  let opens: boolean | undefined;
  if (request.kind === "chat") {
    const text = renderChat(tokenizer, request);
    tokenIds = tokenizer.encode(text);
    if (limits.reasoningStart) opens = text.trimEnd().endsWith(limits.reasoningStart);
  } else {
    tokenIds = completionTokens(tokenizer, request.prompt);
  }
  if (tokenIds.length === 0) throw new InvalidRequestError("the prompt is empty", request.kind === "chat" ? "messages" : "prompt");
  return { tokenIds, maxTokens: completionBudget(tokenIds.length, request, limits), ...(opens === undefined ? {} : { promptOpensReasoning: opens }) };
}

/**
 * Completion tokens left for a prompt of `numPromptTokens`: the request's own limit, else the server default
 * capped by the context. Throws {@link ContextLengthError} when the prompt (plus the asked limit) does not fit.
 */
export function completionBudget(numPromptTokens: number, request: GenerateRequest, limits: PromptLimits): number {
  const { contextLength } = limits;
  const asked = request.sampling.maxTokens;
  if (asked !== undefined && numPromptTokens + asked > contextLength) {
    throw new ContextLengthError(numPromptTokens, contextLength, asked);
  }
  if (numPromptTokens >= contextLength) throw new ContextLengthError(numPromptTokens, contextLength);
  const room = contextLength - numPromptTokens;
  return asked ?? Math.min(room, limits.defaultMaxTokens ?? room);
}

/**
 * Token ids of a tokenize request: text as given, or messages through the chat template as {@link preparePrompt}
 * renders them. Throws {@link InvalidRequestError} for a template failure, a non-text part or a bad token id.
 *
 * @example
 *   tokenizeInput(tok, { kind: "text", prompt: "Hi", addSpecialTokens: true })
 */
export function tokenizeInput(tokenizer: ModelTokenizer, input: TokenizeInput): number[] {
  if (input.kind === "text") return tokenizer.encode(input.prompt, { addSpecialTokens: input.addSpecialTokens });
  checkMessages(input, "counting tokens takes text only (image and video tokens are counted when generating)");
  let text: string;
  try {
    text = tokenizer.applyChatTemplate(input.messages as TemplateMessage[], templateOptions(input));
  } catch (e) {
    if (e instanceof ChatTemplateError) throw new InvalidRequestError(e.message, "messages");
    throw e;
  }
  return tokenizer.encode(text, { addSpecialTokens: input.addSpecialTokens });
}

/** Text of token ids; an id outside the vocabulary is an {@link InvalidRequestError}. */
export function detokenizeIds(tokenizer: ModelTokenizer, tokenIds: readonly number[]): string {
  try {
    return tokenizer.decode(tokenIds);
  } catch (e) {
    if (e instanceof TokenizerError) throw new InvalidRequestError(e.message, "tokens");
    throw e;
  }
}
