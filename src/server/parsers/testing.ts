/** Test helpers for tool-call parsers: feed text in pieces and fold the events into content, reasoning and calls. */
import type { ToolCallParser, ToolEvent } from "./tool-call.ts";

export interface ParsedOutput {
  content: string;
  reasoning: string;
  calls: { name: string; arguments: string }[];
  /** Content released per push (the last entry is the flush's), to check that no markup leaks. */
  contentPieces: string[];
}

/** Folds events, checking their grammar: `arguments` and `end` only inside a call, calls never nested or left open. */
export function foldEvents(events: ToolEvent[][]): ParsedOutput {
  const out: ParsedOutput = { content: "", reasoning: "", calls: [], contentPieces: [] };
  let open: { name: string; arguments: string } | null = null;
  for (const step of events) {
    let piece = "";
    for (const e of step) {
      if (e.type === "content") {
        if (open) throw new Error("content inside a call");
        piece += e.text;
      } else if (e.type === "reasoning") out.reasoning += e.text;
      else if (e.type === "call") {
        if (open) throw new Error("nested call");
        open = { name: e.name, arguments: "" };
        out.calls.push(open);
      } else if (e.type === "arguments") {
        if (!open) throw new Error("arguments outside a call");
        open.arguments += e.text;
      } else {
        if (!open) throw new Error("end outside a call");
        open = null;
      }
    }
    out.content += piece;
    out.contentPieces.push(piece);
  }
  if (open) throw new Error("call left open after flush");
  return out;
}

/** Feeds `text` in pieces of `size` characters (or the given pieces) and flushes. */
export function runTools(parser: ToolCallParser, text: string | string[], size = Number.POSITIVE_INFINITY): ParsedOutput {
  const pieces = typeof text === "string" ? (text.match(new RegExp(`[\\s\\S]{1,${Number.isFinite(size) ? size : Math.max(text.length, 1)}}`, "g")) ?? []) : text;
  return foldEvents([...pieces.map((p) => parser.push(p)), parser.flush()]);
}
