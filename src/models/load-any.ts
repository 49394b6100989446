/** One entry point for every model on disk: an HF/MLX model directory or a single .gguf file. */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadTokenizer, type ModelTokenizer } from "../tokenizer/index.ts";
import { ConfigError } from "./config.ts";
import { GgufError, ggufTokenizer, loadGgufModel } from "./gguf.ts";
import { loadModelDir, type LoadedModel } from "./load.ts";

/** A model with its tokenizer and, when the checkpoint has one, its generation_config. */
export interface LoadedModelWithTokenizer extends LoadedModel {
  tokenizer: ModelTokenizer;
  /** generation_config.json of a directory; a GGUF file has none. */
  generationConfig?: Record<string, unknown>;
  format: "directory" | "gguf";
}

async function readGenerationConfig(dir: string): Promise<Record<string, unknown> | undefined> {
  const path = join(dir, "generation_config.json");
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(await Bun.file(path).text()) as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * Loads a model directory (config.json + safetensors + tokenizer files) or a .gguf file.
 * Throws GgufError / ConfigError / WeightError / TokenizerError, each naming the path at fault.
 *
 * @example
 *   const { model, tokenizer } = await loadModel(await defaultModelPath());
 *   const ids = tokenizer.encodeChat([{ role: "user", content: "Hi" }]);
 */
export async function loadModel(path: string): Promise<LoadedModelWithTokenizer> {
  if (!existsSync(path)) throw new ConfigError(`model path ${path} does not exist`);
  if (statSync(path).isDirectory()) {
    const loaded = await loadModelDir(path);
    const [tokenizer, generationConfig] = await Promise.all([loadTokenizer(path), readGenerationConfig(path)]);
    return { ...loaded, tokenizer, generationConfig, format: "directory" };
  }
  if (!path.toLowerCase().endsWith(".gguf")) {
    throw new GgufError(path, "is neither a model directory nor a .gguf file");
  }
  const { metadata, ...loaded } = loadGgufModel(path);
  return { ...loaded, tokenizer: ggufTokenizer(path, metadata), format: "gguf" };
}
