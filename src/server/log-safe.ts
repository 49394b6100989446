/** Escaping for client-controlled text that reaches a log line. */

// Control characters (C0, DEL, C1), format characters (bidi overrides, zero-width), line and paragraph separators.
const UNSAFE = /[\\\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * `text` with backslashes and every non-printable character written as an escape (`\n`, `\x1b`, `\u202e`), so a
 * client cannot start a new log line, recolour the terminal or reorder what an operator reads.
 *
 * @example
 *   logSafe("/a\nb\u001b[31m") // "/a\\nb\\x1b[31m"
 */
export function logSafe(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    if (ch === "\\") return "\\\\";
    if (ch === "\n") return "\\n";
    if (ch === "\r") return "\\r";
    if (ch === "\t") return "\\t";
    const code = ch.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
