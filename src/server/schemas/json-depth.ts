/** A stack-free nesting check for JSON text, run before `JSON.parse` sees a hostile body. */

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * Whether `text` nests arrays and objects deeper than `maxDepth`, counting brackets outside strings in one
 * loop (no recursion, so no stack to exhaust). Malformed JSON is left for `JSON.parse` to reject.
 *
 * @example
 *   jsonDepthExceeds('{"a":[[1]]}', 2) // true (3 levels)
 *   jsonDepthExceeds('{"a":"[[["}', 1) // false (brackets inside a string)
 */
export function jsonDepthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === BACKSLASH) i++;
      else if (ch === QUOTE) inString = false;
    } else if (ch === QUOTE) inString = true;
    else if (ch === OPEN_OBJECT || ch === OPEN_ARRAY) {
      if (++depth > maxDepth) return true;
    } else if (ch === CLOSE_OBJECT || ch === CLOSE_ARRAY) depth--;
  }
  return false;
}
