/** Tokenizers, chat templates and streaming detokenization. */
export { ChatTemplateError, TokenizerError } from "./errors.ts";
export type { NamedTemplate, TokenizerFiles } from "./config.ts";
export {
  ChatTemplate,
  FALLBACK_CHAT_TEMPLATE,
  normalizeMessage,
  type ChatMessage,
  type ChatTemplateOptions,
  type ContentPart,
  type ToolCall,
  type ToolDefinition,
} from "./chat-template.ts";
export { ModelTokenizer, type DecodeOptions, type EncodeOptions } from "./model-tokenizer.ts";
export { loadTokenizer } from "./load.ts";
export { IncrementalDetokenizer, type DetokenizerOptions } from "./detokenizer.ts";
export { GGUF_TOKEN_TYPE, tokenizerFilesFromGguf, tokenizerJsonFromGguf, type GgufMetadata } from "./gguf.ts";
