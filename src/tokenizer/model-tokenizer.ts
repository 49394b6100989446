/** A model's tokenizer: encode/decode, special tokens, EOS set and chat template in one object. */
import { Tokenizer } from "@huggingface/tokenizers";
import { type ChatMessage, ChatTemplate, type ChatTemplateOptions } from "./chat-template.ts";
import {
  additionalSpecialTokens,
  chatTemplateSource,
  generationEosIds,
  specialToken,
  type TokenizerFiles,
} from "./config.ts";
import { TokenizerError } from "./errors.ts";

/** Options of {@link ModelTokenizer.encode}. */
export interface EncodeOptions {
  /** Let the tokenizer's post-processor add BOS etc. (default true). A BOS already in the text is not doubled. */
  addSpecialTokens?: boolean;
}

/** Options of {@link ModelTokenizer.decode}. */
export interface DecodeOptions {
  /** Drop special tokens (default false). Non-special added tokens such as Qwen's `<tool_call>` stay. */
  skipSpecialTokens?: boolean;
  /** Special tokens kept even with `skipSpecialTokens` (e.g. a tool-call format's markers such as `[TOOL_CALLS]`). */
  keepSpecialTokenIds?: ReadonlySet<number>;
  /**
   * Apply transformers' `clean_up_tokenization_spaces` (" ." -> ".", " 's" -> "'s"; default false). It is off
   * by default whatever the config says: it rewrites model output and is not prefix-stable, so streaming
   * could not reproduce it.
   */
  cleanUpTokenizationSpaces?: boolean;
}

interface AddedTokenEntry {
  id: number;
  content: string;
  special?: boolean;
}

function addedTokens(tokenizerJson: Record<string, unknown>): AddedTokenEntry[] {
  const list = tokenizerJson.added_tokens;
  return Array.isArray(list) ? (list as AddedTokenEntry[]) : [];
}

/**
 * A loaded tokenizer with the model's special tokens and chat template.
 *
 * @example
 *   const tok = await loadTokenizer("/models/Qwen3-0.6B");
 *   const ids = tok.encode("Hello");          // [9707]
 *   tok.decode(ids);                          // "Hello"
 *   tok.eosTokenIds.has(ids.at(-1)!);         // false
 */
export class ModelTokenizer {
  readonly #tokenizer: Tokenizer;
  readonly #addsBos: boolean;
  /** BOS token text and id, when the model has one. */
  readonly bosToken: string | undefined;
  readonly bosTokenId: number | undefined;
  /** The configured EOS token's text (tokenizer_config's `eos_token`). */
  readonly eosToken: string | undefined;
  /** Every id that ends generation: tokenizer_config's eos_token plus generation_config's eos_token_id(s). */
  readonly eosTokenIds: Set<number>;
  readonly padTokenId: number | undefined;
  /** Ids of special tokens (skipped by `skipSpecialTokens`). */
  readonly specialTokenIds: Set<number>;
  /** Texts of special tokens. */
  readonly specialTokens: Set<string>;
  /** One more than the largest token id. */
  readonly vocabSize: number;
  readonly chatTemplate: ChatTemplate;

  /** The files it was built from (a worker thread builds its own copy from them). */
  readonly files: TokenizerFiles;

  private constructor(files: TokenizerFiles) {
    this.files = files;
    try {
      this.#tokenizer = new Tokenizer(files.tokenizerJson, files.tokenizerConfig);
    } catch (e) {
      throw new TokenizerError(`tokenizer.json is not usable: ${e instanceof Error ? e.message : String(e)}`);
    }
    let maxId = -1;
    for (const id of this.#tokenizer.get_vocab(true).values()) if (id > maxId) maxId = id;
    this.vocabSize = maxId + 1;

    this.bosToken = specialToken(files, "bos_token");
    this.eosToken = specialToken(files, "eos_token");
    const padToken = specialToken(files, "pad_token");
    const unkToken = specialToken(files, "unk_token");
    this.bosTokenId = this.#idOf(this.bosToken);
    this.padTokenId = this.#idOf(padToken);

    this.eosTokenIds = new Set(generationEosIds(files.generationConfig));
    const eosId = this.#idOf(this.eosToken);
    if (eosId !== undefined) this.eosTokenIds.add(eosId);

    this.specialTokenIds = new Set();
    for (const t of addedTokens(files.tokenizerJson)) if (t.special === true) this.specialTokenIds.add(t.id);
    for (const text of [this.bosToken, this.eosToken, padToken, unkToken, ...additionalSpecialTokens(files)]) {
      const id = this.#idOf(text);
      if (id !== undefined) this.specialTokenIds.add(id);
    }
    this.specialTokens = new Set([...this.specialTokenIds].map((id) => this.#tokenizer.id_to_token(id) ?? ""));
    this.specialTokens.delete("");

    const probe = this.#tokenizer.encode("a", { add_special_tokens: true }).ids;
    this.#addsBos = this.bosTokenId !== undefined && probe[0] === this.bosTokenId;
    this.chatTemplate = new ChatTemplate(chatTemplateSource(files), {
      bos_token: this.bosToken,
      eos_token: this.eosToken,
      pad_token: padToken,
      unk_token: unkToken,
    });
  }

  /**
   * Builds a tokenizer from parsed JSON objects (e.g. converted from GGUF metadata).
   *
   * @example
   *   const tok = ModelTokenizer.fromObjects({tokenizerJson, tokenizerConfig: {eos_token: "<|im_end|>"}});
   */
  static fromObjects(files: TokenizerFiles): ModelTokenizer {
    return new ModelTokenizer(files);
  }

  #idOf(text: string | undefined): number | undefined {
    return text === undefined ? undefined : this.#tokenizer.token_to_id(text);
  }

  /**
   * Text to token ids. With `addSpecialTokens` (default), BOS is added unless the text already begins with it.
   *
   * @example
   *   tok.encode("<|begin_of_text|>Hi") // one BOS, not two
   */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const addSpecialTokens = options.addSpecialTokens ?? true;
    const ids = this.#tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids;
    if (addSpecialTokens && this.#addsBos && ids.length >= 2 && ids[0] === this.bosTokenId && ids[1] === this.bosTokenId) {
      ids.shift();
    }
    return ids;
  }

  /**
   * Token ids to text. Throws {@link TokenizerError} for an id outside the vocabulary.
   *
   * @example
   *   tok.decode([9707, 151645], {skipSpecialTokens: true}) // "Hello"
   */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const kept: number[] = [];
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new TokenizerError(`token id ${id} is outside the vocabulary (size ${this.vocabSize})`);
      }
      if (options.skipSpecialTokens === true && this.specialTokenIds.has(id) && !options.keepSpecialTokenIds?.has(id)) continue;
      kept.push(id);
    }
    if (kept.length === 0) return "";
    return this.#tokenizer.decode(kept, {
      skip_special_tokens: false,
      clean_up_tokenization_spaces: options.cleanUpTokenizationSpaces ?? false,
    });
  }

  /** The token string of an id (e.g. "Ġthe"), or undefined. */
  idToToken(id: number): string | undefined {
    return this.#tokenizer.id_to_token(id);
  }

  /** The id of a token string, or undefined. */
  tokenToId(token: string): number | undefined {
    return this.#tokenizer.token_to_id(token);
  }

  /** Whether an id is a special token. */
  isSpecial(id: number): boolean {
    return this.specialTokenIds.has(id);
  }

  /**
   * Renders messages with the model's chat template. Throws {@link ChatTemplateError}.
   *
   * @example
   *   tok.applyChatTemplate([{role: "user", content: "Hi"}], {chatTemplateKwargs: {enable_thinking: false}})
   */
  applyChatTemplate(messages: ChatMessage[], options: ChatTemplateOptions = {}): string {
    return this.chatTemplate.render(messages, options);
  }

  /**
   * Renders and tokenizes a chat prompt. The template's own BOS is kept and never doubled; a BOS the
   * tokenizer would add is added only when the template did not emit one.
   *
   * @example
   *   const ids = tok.encodeChat([{role: "user", content: "Hi"}]);
   */
  encodeChat(messages: ChatMessage[], options: ChatTemplateOptions = {}): number[] {
    return this.encode(this.applyChatTemplate(messages, options), { addSpecialTokens: true });
  }
}
