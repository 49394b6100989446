/** Which tool-call format a model writes: `--tool-call-parser`, else its chat template, else its family's default. */
import type { ToolCallFormat } from "../protocol.ts";

/** The names `--tool-call-parser` takes (vLLM's). */
export const TOOL_CALL_PARSERS = ["hermes", "qwen3_coder", "llama3_json", "mistral", "pythonic", "openai"] as const satisfies readonly ToolCallFormat[];

/** A `--tool-call-parser` value checked against {@link TOOL_CALL_PARSERS}; null when unknown. */
export function toolCallParserByName(name: string): ToolCallFormat | null {
  return (TOOL_CALL_PARSERS as readonly string[]).includes(name) ? (name as ToolCallFormat) : null;
}

/**
 * Marker strings of each format that tokenizers may hold as special tokens (skipped from text by default): they
 * must reach the server's parser when a request has tools.
 */
const SPECIAL_MARKERS: Partial<Record<ToolCallFormat, readonly string[]>> = {
  mistral: ["[TOOL_CALLS]", "[ARGS]", "[CALL_ID]"],
  llama3_json: ["<|python_tag|>"],
  openai: ["<|start|>", "<|channel|>", "<|message|>", "<|constrain|>", "<|call|>", "<|end|>"],
  hermes: ["<tool_call>", "</tool_call>"],
  qwen3_coder: ["<tool_call>", "</tool_call>"],
};

/**
 * The ids of a format's markers that the tokenizer holds as special tokens (others decode as text anyway).
 *
 * @example
 *   toolCallMarkerIds("mistral", (t) => tok.tokenToId(t), tok.specialTokenIds) // Set { 9 } for "[TOOL_CALLS]"
 */
export function toolCallMarkerIds(format: ToolCallFormat, tokenToId: (text: string) => number | undefined,
  specialTokenIds: ReadonlySet<number>): Set<number> {
  const ids = new Set<number>();
  for (const text of SPECIAL_MARKERS[format] ?? []) {
    const id = tokenToId(text);
    if (id !== undefined && specialTokenIds.has(id)) ids.add(id);
  }
  return ids;
}

/**
 * {@link toolCallMarkerIds} of one tokenizer, per format, computed once.
 *
 * @example
 *   const markers = new ToolCallMarkers(tok);
 *   markers.ids("hermes") // the same Set on every call
 */
export class ToolCallMarkers {
  readonly #cache = new Map<ToolCallFormat, ReadonlySet<number>>();

  constructor(readonly tokenizer: { tokenToId(text: string): number | undefined; readonly specialTokenIds: ReadonlySet<number> }) {}

  ids(format: ToolCallFormat): ReadonlySet<number> {
    let ids = this.#cache.get(format);
    if (!ids) {
      ids = toolCallMarkerIds(format, (t) => this.tokenizer.tokenToId(t), this.tokenizer.specialTokenIds);
      this.#cache.set(format, ids);
    }
    return ids;
  }
}

/** Markers a chat template writes for each format, most specific first (Qwen3-Coder's also has `<tool_call>`). */
const TEMPLATE_MARKERS: [ToolCallFormat, RegExp][] = [
  ["openai", /<\|channel\|>|<\|constrain\|>|to=functions\./],
  ["mistral", /\[TOOL_CALLS\]/],
  ["qwen3_coder", /<function=[\s\S]*<parameter=/],
  ["hermes", /<tool_call>/],
  ["llama3_json", /<\|python_tag\|>|"parameters": dictionary of argument name/],
  ["pythonic", /\[func_name1\(|```tool_code/],
];

/**
 * The format a chat template's tool-call markup names; undefined when it names none (the family default applies).
 *
 * @example
 *   detectToolCallFormat("... <tool_call>\n{{ tool_call | tojson }}\n</tool_call> ...") // "hermes"
 */
export function detectToolCallFormat(template: string | undefined): ToolCallFormat | undefined {
  if (template === undefined) return undefined;
  return TEMPLATE_MARKERS.find(([, marker]) => marker.test(template))?.[0];
}
