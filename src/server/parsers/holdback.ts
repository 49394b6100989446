/** Helpers for streaming parsers that must not emit text which may turn out to be part of a tag. */

/**
 * Length of the longest suffix of `text` that is a proper prefix of `tag`: the characters to hold back
 * because the next delta may complete the tag.
 *
 * @example
 *   partialTagLength("hello <tool", "<tool_call>") // 5
 */
export function partialTagLength(text: string, tag: string): number {
  const max = Math.min(text.length, tag.length - 1);
  for (let length = max; length > 0; length--) {
    if (text.endsWith(tag.slice(0, length))) return length;
  }
  return 0;
}

/** Length of the trailing whitespace of `text`. */
export function trailingWhitespaceLength(text: string): number {
  return text.length - text.trimEnd().length;
}
