/**
 * Loading a model directory in MLX/HF format: config.json plus safetensors (sharded or not, dense or
 * affine-quantized).
 */
import { existsSync, readdirSync } from "node:fs";
import { basename, isAbsolute, join } from "node:path";
import * as mx from "../mlx/index.ts";
import { WeightError, WeightStore } from "../nn/weights.ts";
import { ConfigError, quantConfig, type HfConfig } from "./config.ts";
import { DecoderModel } from "./decoder.ts";
import { checkWeightsFit } from "./memory-budget.ts";
import { factoryFor, type ModelFactory } from "./registry.ts";
import { readSafetensorsHeader } from "./safetensors-header.ts";
import { loadVisionLanguageModel, vlmArch } from "./vision/families.ts";
import type { VisionLanguageModel } from "./vision/vlm.ts";

export interface LoadedModel {
  model: DecoderModel;
  hfConfig: HfConfig;
  factory: ModelFactory;
  /** Where the weights came from (directory or .gguf file). */
  path: string;
  /** A vision-language model (detected from its config, vision/families.ts): its tower; `model` is its text decoder. */
  vlm?: VisionLanguageModel;
}

export async function readConfig(dir: string): Promise<HfConfig> {
  const p = join(dir, "config.json");
  if (!existsSync(p)) throw new ConfigError(`${dir} has no config.json`);
  try {
    return JSON.parse(await Bun.file(p).text()) as HfConfig;
  } catch (e) {
    throw new ConfigError(`${p} is not valid JSON: ${(e as Error).message}`);
  }
}

/** The safetensors files of a checkpoint, from its index when there is one. */
export async function weightFiles(dir: string): Promise<string[]> {
  const index = join(dir, "model.safetensors.index.json");
  if (existsSync(index)) {
    const map = (JSON.parse(await Bun.file(index).text()) as { weight_map?: Record<string, string> }).weight_map;
    if (!map) throw new WeightError(`${index} has no weight_map`);
    const files = [...new Set(Object.values(map))].sort();
    for (const f of files) {
      // A shard is a file of the folder: an index naming "../../elsewhere" must not make the loader open it.
      if (typeof f !== "string" || isAbsolute(f) || f.split(/[\\/]/).includes("..")) {
        throw new WeightError(`${index} lists ${JSON.stringify(f)}, which is not a file inside the model folder`);
      }
      if (!existsSync(join(dir, f))) throw new WeightError(`${index} lists ${f}, which is missing`);
    }
    return files.map((f) => join(dir, f));
  }
  const files = readdirSync(dir).filter((f) => f.endsWith(".safetensors")).sort();
  if (files.length === 0) throw new WeightError(`${dir} has no .safetensors files`);
  return files.map((f) => join(dir, f));
}

/**
 * Loads every tensor of the checkpoint into a store that remembers each tensor's file. Every file's header is
 * checked first (CheckpointError) and the total against the memory budget (ModelTooLargeError), so MLX never
 * reads a truncated file or starts on weights that cannot fit.
 */
export async function loadWeights(dir: string, hf: HfConfig, quant = true): Promise<WeightStore> {
  const files = await weightFiles(dir);
  checkWeightsFit(dir, files.reduce((n, file) => n + readSafetensorsHeader(file).totalBytes, 0));
  const tensors = new Map<string, mx.Array>();
  const source = new Map<string, string>();
  for (const file of files) {
    const { arrays } = mx.loadSafetensors(file);
    for (const [name, arr] of arrays) {
      if (tensors.has(name)) throw new WeightError(`tensor '${name}' appears in both ${source.get(name)} and ${basename(file)}`);
      tensors.set(name, arr);
      source.set(name, basename(file));
    }
  }
  return new WeightStore(tensors, source, quant ? quantConfig(hf) : null);
}

/**
 * Loads a model directory.
 *
 * @example
 *   const { model } = await loadModelDir("/models/Qwen3-0.6B-4bit");
 */
export async function loadModelDir(dir: string): Promise<LoadedModel> {
  const hf = await readConfig(dir);
  const factory = factoryFor(hf.model_type);
  const arch = vlmArch(hf);
  if (arch) {
    const vlm = loadVisionLanguageModel(await loadWeights(dir, hf), hf, arch);
    return { model: vlm.text, hfConfig: hf, factory, path: dir, vlm };
  }
  const spec = factory.spec(hf);
  const store = await loadWeights(dir, hf);
  factory.sanitize(store, spec);
  const model = DecoderModel.load(store, spec);
  return { model, hfConfig: hf, factory, path: dir };
}
