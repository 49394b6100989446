/** Typed errors of the tokenizer layer. */

/**
 * Tokenizer files are missing, malformed or unsupported.
 *
 * @example
 *   try { await loadTokenizer(dir) } catch (e) { if (e instanceof TokenizerError) console.error(e.message) }
 */
export class TokenizerError extends Error {
  override readonly name = "TokenizerError";
}

/**
 * A chat template failed to parse or render (including the template's own `raise_exception`).
 *
 * @example
 *   try { tok.applyChatTemplate(messages) } catch (e) { if (e instanceof ChatTemplateError) badRequest(e.message) }
 */
export class ChatTemplateError extends Error {
  override readonly name = "ChatTemplateError";
  constructor(
    message: string,
    /** The template engine's message, verbatim. */
    readonly templateMessage: string,
  ) {
    super(message);
  }
}
