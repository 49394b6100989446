/** Which repository files a text model needs, and fnmatch-style patterns to choose others. */

/** Files a text model needs, matched against top-level file names. */
export const TEXT_MODEL_PATTERNS = [
  "config.json",
  "*.safetensors",
  "model.safetensors.index.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "generation_config.json",
  "chat_template.jinja",
  "chat_template.json",
];

const GGUF_PATTERN = "*.gguf";

function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") source += ".*";
    else if (c === "?") source += ".";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) source += "\\[";
      else {
        const body = pattern.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\");
        source += `[${body}]`;
        i = end;
      }
    } else source += c.replace(/[.+^${}()|\\\]/]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/**
 * Python `fnmatch` semantics: `*` matches any run of characters (slashes included), `?` one, `[abc]` a class.
 *
 * @example
 *   matchesPattern("model-00001-of-00002.safetensors", "*.safetensors"); // true
 */
export function matchesPattern(file: string, pattern: string): boolean {
  return globToRegExp(pattern).test(file);
}

/** How to choose files from a repository listing. */
export interface FileSelection {
  /** Explicit patterns (fnmatch on the full repository path); replace the text-model defaults. */
  allowPatterns?: string[];
  /** Also take `*.gguf` files (default patterns only). */
  includeGguf?: boolean;
}

/**
 * Picks the files to download from a repository listing.
 *
 * @example
 *   selectFiles(["config.json", "README.md", "model.safetensors"]); // ["config.json", "model.safetensors"]
 */
export function selectFiles(files: string[], selection: FileSelection = {}): string[] {
  if (selection.allowPatterns !== undefined) {
    const patterns = selection.allowPatterns.map(globToRegExp);
    return files.filter((f) => patterns.some((p) => p.test(f)));
  }
  const defaults = [...TEXT_MODEL_PATTERNS, ...(selection.includeGguf ? [GGUF_PATTERN] : [])].map(globToRegExp);
  return files.filter((f) => !f.includes("/") && defaults.some((p) => p.test(f)));
}
