/** Messages to and from the prompt thread, and the typed errors that cross it. */
import type { TokenizerFiles } from "../../tokenizer/config.ts";
import { ContextLengthError, type GenerateRequest, InvalidRequestError } from "../protocol.ts";
import type { MediaServingOptions } from "./media-inputs.ts";
import type { PreparedPrompt, PromptLimits } from "./prompt.ts";

/** A VLM's media preparation: the model folder (its processor files) and the media options. */
export interface PromptVision {
  modelDir: string;
  serving: MediaServingOptions;
  /** A compiled binary's unpacked sharp addon (src/media/sharp.ts: sharpAddonPath), for the prompt thread. */
  sharpAddon?: string;
}

export type PromptWorkerRequest =
  | { type: "init"; files: TokenizerFiles; vision?: PromptVision }
  | { type: "prepare"; id: number; request: GenerateRequest; limits: PromptLimits }
  /** The request behind `prepare` #id was cancelled: stop its media fetches and decodes; no reply is read. */
  | { type: "cancel"; id: number };

/** A request error as plain data: its class, message and fields. */
export type SerializedPromptError =
  | { kind: "invalid"; message: string; param: string | null }
  | { kind: "context"; promptTokens: number; contextLength: number; maxTokens?: number }
  | { kind: "other"; message: string };

export type PromptWorkerReply = { id: number; prepared: PreparedPrompt } | { id: number; error: SerializedPromptError };

export function serializePromptError(e: unknown): SerializedPromptError {
  if (e instanceof InvalidRequestError) return { kind: "invalid", message: e.message, param: e.param };
  if (e instanceof ContextLengthError) {
    return { kind: "context", promptTokens: e.promptTokens, contextLength: e.contextLength,
      ...(e.maxTokens === undefined ? {} : { maxTokens: e.maxTokens }) };
  }
  return { kind: "other", message: e instanceof Error ? e.message : String(e) };
}

/** The error the HTTP thread throws for a serialized one: the same class, so the same status. */
export function deserializePromptError(e: SerializedPromptError): Error {
  if (e.kind === "invalid") return new InvalidRequestError(e.message, e.param);
  if (e.kind === "context") return new ContextLengthError(e.promptTokens, e.contextLength, e.maxTokens);
  return new Error(`prompt preparation failed: ${e.message}`);
}
