/**
 * Reasoning inside the answer's text, from a server that does not split it out into `reasoning_content`:
 * a leading `<think>…</think>` block, or (a chat template that opened the block in the prompt) text ended by a
 * `</think>` with no `<think>` before it.
 */

const OPEN = "<think>";
const CLOSE = "</think>";

export interface ThinkSplit {
  reasoning: string;
  content: string;
}

/** `text` without a trailing prefix of `tag` (a tag still arriving while the answer streams). */
function withoutPartialTag(text: string, tag: string): string {
  for (let n = Math.min(tag.length - 1, text.length); n > 0; n--) if (text.endsWith(tag.slice(0, n))) return text.slice(0, -n);
  return text;
}

/**
 * The reasoning and the answer of a message's content.
 *
 * @example
 *   splitThink("<think>2 + 2 is 4.</think>\n\nIt is 4.") // { reasoning: "2 + 2 is 4.", content: "It is 4." }
 */
export function splitThink(text: string): ThinkSplit {
  const lead = text.trimStart();
  if (lead.startsWith(OPEN)) {
    const rest = lead.slice(OPEN.length);
    const end = rest.indexOf(CLOSE);
    if (end < 0) return { reasoning: withoutPartialTag(rest, CLOSE).trim(), content: "" };
    return { reasoning: rest.slice(0, end).trim(), content: rest.slice(end + CLOSE.length).trimStart() };
  }
  if (lead !== "" && OPEN.startsWith(lead)) return { reasoning: "", content: "" };
  const end = text.indexOf(CLOSE);
  // An answer that quotes the tag (in code, or after an opening tag of its own) is left alone.
  if (end >= 0 && !/<think>|`/.test(text.slice(0, end))) {
    return { reasoning: text.slice(0, end).trim(), content: text.slice(end + CLOSE.length).trimStart() };
  }
  return { reasoning: "", content: text };
}
