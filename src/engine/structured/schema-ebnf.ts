/**
 * What the compiler changes in the grammar xgrammar writes for a JSON schema (its printed EBNF), before compiling:
 *   - a length-bounded string's characters exclude control characters, as JSON requires: xgrammar 0.1.27 writes
 *     `minLength`/`maxLength` as `[^"\\\r\n]{m,n}`, which lets a raw tab or U+0001 through, and that text is not
 *     JSON (`JSON.parse` refuses it); the class becomes the one xgrammar uses for unbounded strings;
 *   - bounded repetitions' rules get lookaheads (tail-lookahead.ts), so their token masks are precomputed.
 */
import { addTailLookaheads } from "./tail-lookahead.ts";

/** The class xgrammar writes for a character of a string with minLength/maxLength, as printed. */
const BOUNDED_STRING_CHAR = String.raw`[^\"\\\r\n]`;
/** The class xgrammar writes for an unescaped character of an unbounded JSON string, as printed. */
const JSON_STRING_CHAR = String.raw`[^\0-\x1f\"\\\r\n]`;

/**
 * Bounded strings without control characters. A printed string literal cannot hold the class's text: its quotes
 * and backslashes are escaped, so only a character class matches.
 *
 * @example
 *   jsonSafeBoundedStrings(String.raw`s ::= (([^\"\\\r\n]))`) // String.raw`s ::= (([^\0-\x1f\"\\\r\n]))`
 */
export function jsonSafeBoundedStrings(ebnf: string): string {
  return ebnf.replaceAll(BOUNDED_STRING_CHAR, JSON_STRING_CHAR);
}

/**
 * The EBNF to compile for a schema's printed grammar: {@link jsonSafeBoundedStrings}, then lookaheads where the
 * text is in the form tail-lookahead.ts reads. The caller checks that the printed grammar parses back to itself.
 */
export function rewriteSchemaEbnf(ebnf: string): string {
  const safe = jsonSafeBoundedStrings(ebnf);
  return addTailLookaheads(safe) ?? safe;
}
