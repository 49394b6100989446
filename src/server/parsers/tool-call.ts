/** Tool-call parsing contract, the event list parsers fill, and JSON helpers the JSON-based formats share. */
import type { ToolDefinition } from "../../engine/protocol.ts";

/**
 * What a streaming parser releases, in output order. A call is `call` (its name), any number of `arguments`
 * pieces whose concatenation is the call's arguments (a JSON object as text), then `end`. Calls never nest.
 */
export type ToolEvent =
  | { type: "content"; text: string }
  | { type: "reasoning"; text: string }
  | { type: "call"; name: string }
  | { type: "arguments"; text: string }
  | { type: "end" };

/**
 * A streaming tool-call parser: `push` each delta, `flush` at the end. Text that may still become part of a
 * call is held back, so call markup never reaches `content`. Whether text is a call depends only on the text,
 * never on how it was split into deltas.
 */
export interface ToolCallParser {
  push(text: string): ToolEvent[];
  flush(): ToolEvent[];
}

/** What a parser may know about the request: its tools (Qwen3-Coder converts parameter values by their schema). */
export interface ToolParserContext {
  tools?: ToolDefinition[];
}

/**
 * Collects events, merging neighbouring text of one kind and dropping empty text.
 *
 * @example
 *   const out = new ToolEvents(); out.content("a"); out.content("b"); out.list // [{ type: "content", text: "ab" }]
 */
export class ToolEvents {
  readonly list: ToolEvent[] = [];

  content(text: string): void {
    this.#text("content", text);
  }

  reasoning(text: string): void {
    this.#text("reasoning", text);
  }

  arguments(text: string): void {
    this.#text("arguments", text);
  }

  call(name: string): void {
    this.list.push({ type: "call", name });
  }

  end(): void {
    this.list.push({ type: "end" });
  }

  /** A whole call at once. */
  whole(call: ParsedToolCall): void {
    this.call(call.name);
    this.arguments(call.arguments);
    this.end();
  }

  #text(type: "content" | "reasoning" | "arguments", text: string): void {
    if (text === "") return;
    const last = this.list.at(-1);
    if (last?.type === type) last.text += text;
    else this.list.push({ type, text });
  }
}

/** A complete call; `arguments` is a JSON string as OpenAI returns it. */
export interface ParsedToolCall {
  name: string;
  arguments: string;
}

/**
 * Index just past the JSON value that starts at `text[start]`, or -1 while it is incomplete (or not JSON).
 *
 * @example
 *   jsonValueEnd('{"a":"}"} tail') // 9
 */
export function jsonValueEnd(text: string, start = 0): number {
  const first = text[start];
  if (first === "{" || first === "[") {
    const scanner = new JsonScanner();
    const end = scanner.feed(text.slice(start));
    return end < 0 ? -1 : start + end;
  }
  if (first === '"') {
    for (let i = start + 1; i < text.length; i++) {
      if (text[i] === "\\") i++;
      else if (text[i] === '"') return i + 1;
    }
    return -1;
  }
  const m = /^[^\s,}\]]+/.exec(text.slice(start));
  return m && start + m[0].length < text.length ? start + m[0].length : -1;
}

/** Index just past the JSON object that starts at `text[0]`, or -1 while it is incomplete. */
export function jsonObjectEnd(text: string): number {
  return text.startsWith("{") ? jsonValueEnd(text, 0) : -1;
}

/**
 * Finds where a JSON object or array ends, fed in pieces: strings, escapes and nesting are tracked across
 * calls to {@link feed}.
 *
 * @example
 *   const s = new JsonScanner(); s.feed('{"a": "}'); s.feed('"} x') // 2
 */
export class JsonScanner {
  #depth = 0;
  #inString = false;
  #escaped = false;

  /** Index in `text` just past the closing bracket of the outermost value, or -1 when it is still open. */
  feed(text: string): number {
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (ch === "\\") this.#escaped = true;
        else if (ch === '"') this.#inString = false;
      } else if (ch === '"') this.#inString = true;
      else if (ch === "{" || ch === "[") this.#depth++;
      else if ((ch === "}" || ch === "]") && --this.#depth === 0) return i + 1;
    }
    return -1;
  }
}

/**
 * The raw text of each top-level member of a JSON object, by key; null when `json` is not one object.
 *
 * @example
 *   objectMembers('{"a": {"b": 1} }') // Map { "a" => '{"b": 1}' }
 */
export function objectMembers(json: string): Map<string, string> | null {
  const text = json.trim();
  if (!text.startsWith("{")) return null;
  try {
    JSON.parse(text);
  } catch {
    return null;
  }
  const members = new Map<string, string>();
  let i = 1;
  const skip = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  for (;;) {
    skip();
    if (text[i] === "}") return members;
    const keyEnd = jsonValueEnd(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = keyEnd;
    skip();
    i++; // ':'
    skip();
    const valueEnd = jsonValueEnd(text, i);
    members.set(key, text.slice(i, valueEnd));
    i = valueEnd;
    skip();
    if (text[i] === ",") i++;
  }
}

/**
 * Reads `{"name": ..., "arguments" | "parameters": {...}}`, keeping the arguments' text as the model wrote it;
 * null when `json` is not such an object. String arguments are taken as the JSON text they hold.
 *
 * @example
 *   toolCallFromJson('{"name":"f","arguments": {"x": 1}}') // { name: "f", arguments: '{"x": 1}' }
 */
export function toolCallFromJson(json: string): ParsedToolCall | null {
  const members = objectMembers(json);
  if (!members) return null;
  const nameText = members.get("name");
  const name: unknown = nameText === undefined ? undefined : JSON.parse(nameText);
  if (typeof name !== "string" || name === "") return null;
  const raw = members.get("arguments") ?? members.get("parameters");
  if (raw === undefined) return { name, arguments: "{}" };
  const value: unknown = JSON.parse(raw);
  if (typeof value === "string") return { name, arguments: value };
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  return { name, arguments: raw };
}
