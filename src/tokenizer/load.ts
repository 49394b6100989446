/** Loading a tokenizer from a Hugging Face model directory. */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { NamedTemplate, TokenizerFiles } from "./config.ts";
import { TokenizerError } from "./errors.ts";
import { ModelTokenizer } from "./model-tokenizer.ts";

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new TokenizerError(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  const text = await readText(path);
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error("not a JSON object");
    return value as Record<string, unknown>;
  } catch (e) {
    throw new TokenizerError(`${path} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** chat_template.jinja wins over chat_template.json, which wins over tokenizer_config's `chat_template`. */
async function readChatTemplate(dir: string): Promise<string | NamedTemplate[] | undefined> {
  const jinja = await readText(join(dir, "chat_template.jinja"));
  if (jinja !== undefined) return jinja;
  const json = await readJson(join(dir, "chat_template.json"));
  const value = json?.chat_template;
  if (typeof value === "string" || Array.isArray(value)) return value as string | NamedTemplate[];
  return undefined;
}

/**
 * Loads tokenizer.json, tokenizer_config.json and, when present, generation_config.json,
 * special_tokens_map.json and chat_template.jinja / chat_template.json from a model directory.
 * Throws {@link TokenizerError} when tokenizer.json is missing or a file is malformed.
 *
 * @example
 *   const tok = await loadTokenizer("/models/Meta-Llama-3.1-8B-Instruct");
 *   tok.eosTokenIds; // Set {128001, 128008, 128009}
 */
export async function loadTokenizer(dir: string): Promise<ModelTokenizer> {
  const [tokenizerJson, tokenizerConfig, generationConfig, specialTokensMap, chatTemplate] = await Promise.all([
    readJson(join(dir, "tokenizer.json")),
    readJson(join(dir, "tokenizer_config.json")),
    readJson(join(dir, "generation_config.json")),
    readJson(join(dir, "special_tokens_map.json")),
    readChatTemplate(dir),
  ]);
  if (tokenizerJson === undefined) throw new TokenizerError(`no tokenizer.json in ${dir}`);
  const files: TokenizerFiles = { tokenizerJson, tokenizerConfig: tokenizerConfig ?? {} };
  if (generationConfig !== undefined) files.generationConfig = generationConfig;
  if (specialTokensMap !== undefined) files.specialTokensMap = specialTokensMap;
  if (chatTemplate !== undefined) files.chatTemplate = chatTemplate;
  return ModelTokenizer.fromObjects(files);
}
