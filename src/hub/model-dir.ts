/** What a model directory holds: safetensors weights beside config.json, or a GGUF file. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isFile } from "./cache.ts";

/** The weights format of a model directory. */
export type ModelFormat = "safetensors" | "gguf";

/** Result of inspecting a directory: usable (with its format) or not (with the reason). */
export type ModelDirCheck =
  | { ok: true; format: ModelFormat; ggufFile?: string }
  | { ok: false; reason: string };

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => isFile(join(dir, name)));
  } catch {
    return [];
  }
}

function shardsOf(indexPath: string): string[] | undefined {
  try {
    const index = JSON.parse(readFileSync(indexPath, "utf8")) as { weight_map?: Record<string, string> };
    if (index.weight_map === undefined || typeof index.weight_map !== "object") return undefined;
    return [...new Set(Object.values(index.weight_map))];
  } catch {
    return undefined;
  }
}

function checkSafetensors(dir: string, files: string[]): ModelDirCheck | undefined {
  if (files.includes("model.safetensors.index.json")) {
    const shards = shardsOf(join(dir, "model.safetensors.index.json"));
    if (shards === undefined) return { ok: false, reason: "model.safetensors.index.json is unreadable" };
    const missing = shards.filter((s) => !isFile(join(dir, s)));
    if (missing.length > 0) return { ok: false, reason: `missing weight shards: ${missing.join(", ")}` };
    return { ok: true, format: "safetensors" };
  }
  return files.some((f) => f.endsWith(".safetensors")) ? { ok: true, format: "safetensors" } : undefined;
}

function checkGguf(dir: string, files: string[]): ModelDirCheck | undefined {
  const ggufs = files.filter((f) => f.endsWith(".gguf")).sort();
  if (ggufs.length === 0) return undefined;
  if (ggufs.length > 1) {
    return { ok: false, reason: `several .gguf files (${ggufs.join(", ")}); pass the path of the one to use` };
  }
  return { ok: true, format: "gguf", ggufFile: join(dir, ggufs[0]!) };
}

/**
 * Checks that a directory holds a loadable model: config.json with complete safetensors weights
 * (every shard the index names), or a single .gguf file.
 *
 * @example
 *   inspectModelDir("/models/qwen3"); // { ok: true, format: "safetensors" }
 */
export function inspectModelDir(dir: string): ModelDirCheck {
  const files = listFiles(dir);
  if (files.includes("config.json")) {
    return (
      checkSafetensors(dir, files) ??
      checkGguf(dir, files) ?? { ok: false, reason: "config.json found but no *.safetensors weights" }
    );
  }
  return checkGguf(dir, files) ?? { ok: false, reason: "no config.json or .gguf file" };
}
