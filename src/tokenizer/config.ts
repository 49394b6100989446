/** Reading special tokens out of tokenizer_config.json, special_tokens_map.json and generation_config.json. */

/** The JSON files that describe a tokenizer, as parsed objects. */
export interface TokenizerFiles {
  /** tokenizer.json */
  tokenizerJson: Record<string, unknown>;
  /** tokenizer_config.json (may be `{}`). */
  tokenizerConfig: Record<string, unknown>;
  /** generation_config.json, when present. */
  generationConfig?: Record<string, unknown>;
  /** special_tokens_map.json, when present; fills tokens tokenizer_config lacks. */
  specialTokensMap?: Record<string, unknown>;
  /** A chat template that overrides tokenizer_config's (from chat_template.jinja / .json). */
  chatTemplate?: string | NamedTemplate[];
}

/** One entry of a multi-template `chat_template` list, e.g. `{name: "tool_use", template: "..."}`. */
export interface NamedTemplate {
  name: string;
  template: string;
}

/** A special token's text: configs store either `"<s>"` or an AddedToken-shaped `{content: "<s>"}`. */
export function tokenText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value !== null && typeof value === "object" && typeof (value as { content?: unknown }).content === "string") {
    return (value as { content: string }).content;
  }
  return undefined;
}

/** Picks a special token by key, tokenizer_config first, then special_tokens_map. */
export function specialToken(files: TokenizerFiles, key: string): string | undefined {
  return tokenText(files.tokenizerConfig[key]) ?? tokenText(files.specialTokensMap?.[key]);
}

/** generation_config's `eos_token_id` (a number or a list) as a list. */
export function generationEosIds(generationConfig: Record<string, unknown> | undefined): number[] {
  const value = generationConfig?.eos_token_id;
  if (typeof value === "number") return [value];
  if (Array.isArray(value)) return value.filter((v): v is number => typeof v === "number");
  return [];
}

/** The additional special tokens named by tokenizer_config or special_tokens_map. */
export function additionalSpecialTokens(files: TokenizerFiles): string[] {
  const list = files.tokenizerConfig.additional_special_tokens ?? files.specialTokensMap?.additional_special_tokens;
  if (!Array.isArray(list)) return [];
  return list.map(tokenText).filter((t): t is string => t !== undefined);
}

/** The chat template(s) in force: an explicit override, else tokenizer_config's `chat_template`. */
export function chatTemplateSource(files: TokenizerFiles): string | NamedTemplate[] | undefined {
  const raw = files.chatTemplate ?? files.tokenizerConfig.chat_template;
  if (typeof raw === "string") return raw;
  if (Array.isArray(raw)) {
    const named = raw.filter(
      (t): t is NamedTemplate => typeof t?.name === "string" && typeof t?.template === "string",
    );
    return named.length > 0 ? named : undefined;
  }
  return undefined;
}
