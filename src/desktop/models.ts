/**
 * The desktop app's model picker: the default model, the repositories in the Hugging Face cache that hold a
 * loadable snapshot, and a local folder or .gguf file checked before it is offered.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { hubSettings, inspectModelDir, type Env } from "../hub/index.ts";
import { DEFAULT_MODEL_SOURCE, modelCacheDir } from "../models/default-model.ts";

/** One entry of the picker; `spec` is what `serve` takes (a repo id, a folder or a file). */
export interface ModelChoice {
  spec: string;
  label: string;
  source: "default" | "hf-cache" | "local";
  /** False for the default model before its first download. */
  present: boolean;
}

/** Repositories in `cacheDir` (`models--org--name/snapshots/<commit>`) with a snapshot that loads. */
export function cachedHubModels(cacheDir: string): ModelChoice[] {
  if (!existsSync(cacheDir)) return [];
  const choices: ModelChoice[] = [];
  for (const entry of readdirSync(cacheDir).sort()) {
    if (!entry.startsWith("models--")) continue;
    const snapshots = join(cacheDir, entry, "snapshots");
    if (!existsSync(snapshots)) continue;
    const loadable = readdirSync(snapshots).some((commit) => inspectModelDir(join(snapshots, commit)).ok);
    if (!loadable) continue;
    const repo = entry.slice("models--".length).split("--").join("/");
    choices.push({ spec: repo, label: repo, source: "hf-cache", present: true });
  }
  return choices;
}

/**
 * The picker's list: the default model first, then the Hugging Face cache.
 *
 * @example
 *   listModels(process.env).map((m) => m.spec); // ["default", "mlx-community/Qwen3-0.6B-4bit", ...]
 */
export function listModels(env: Env = process.env): ModelChoice[] {
  const override = env.VLLM_MLX_DEFAULT_MODEL;
  const defaultPath = override || join(modelCacheDir(env), DEFAULT_MODEL_SOURCE.cacheName);
  const label = `Default: ${override ? override : DEFAULT_MODEL_SOURCE.cacheName}${existsSync(defaultPath) ? "" : " (downloaded on start)"}`;
  return [
    { spec: "default", label, source: "default", present: existsSync(defaultPath) },
    ...cachedHubModels(hubSettings({ env }).cacheDir),
  ];
}

/** Why `path` cannot be served, or null when it is a model folder or a .gguf file. */
export function localModelProblem(path: string): string | null {
  if (!existsSync(path)) return `${path} does not exist`;
  if (statSync(path).isFile()) return path.endsWith(".gguf") ? null : `${path} is neither a folder nor a .gguf file`;
  const check = inspectModelDir(path);
  return check.ok ? null : `${path}: ${check.reason}`;
}
