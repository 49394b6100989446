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

/** What {@link scanToMarker} found: the text to emit now, whether the marker was seen, and the text after it. */
export interface MarkerScan {
  text: string;
  found: boolean;
  /** After the marker when found; else what must wait for the next delta (a partial marker and the space before it). */
  rest: string;
}

/**
 * Plain text scanned for a call's opening `marker`. Found: the text before it (trailing whitespace dropped) and
 * what follows it. Not found: everything except a possible start of the marker at the end and the whitespace
 * before that, which are held back.
 *
 * @example
 *   scanToMarker("Hi <tool", "<tool_call>") // { text: "Hi", found: false, rest: " <tool" }
 */
export function scanToMarker(buffer: string, marker: string): MarkerScan {
  const at = buffer.indexOf(marker);
  if (at >= 0) return { text: buffer.slice(0, at).trimEnd(), found: true, rest: buffer.slice(at + marker.length) };
  const partial = partialTagLength(buffer, marker);
  const keep = partial + trailingWhitespaceLength(buffer.slice(0, buffer.length - partial));
  return { text: buffer.slice(0, buffer.length - keep), found: false, rest: buffer.slice(buffer.length - keep) };
}
