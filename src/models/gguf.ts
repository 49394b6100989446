/**
 * Loading a .gguf file as a model: MLX reads the tensors (Q4_0/Q4_1/Q8_0 as affine triplets, group 32),
 * names are mapped to HF's, the config comes from metadata, and the tokenizer from `tokenizer.ggml.*`.
 */
import { existsSync, statSync } from "node:fs";
import { basename } from "node:path";
import * as mx from "../mlx/index.ts";
import { WeightStore } from "../nn/weights.ts";
import { ModelTokenizer, tokenizerFilesFromGguf, TokenizerError, type TokenizerFiles } from "../tokenizer/index.ts";
import { quantConfig, type HfConfig } from "./config.ts";
import { DecoderModel } from "./decoder.ts";
import { ggufToHfName, hfConfigFromGguf, quantizationFromShapes, type GgufMetadata } from "./gguf-config.ts";
import { CheckpointError } from "./checkpoint-file.ts";
import { type GgufHeader, readGgufHeader } from "./gguf-header.ts";
import type { LoadedModel } from "./load.ts";
import { checkWeightsFit } from "./memory-budget.ts";
import { factoryFor } from "./registry.ts";

/** A .gguf file that is missing, unreadable or holds tensors we cannot place. The message names the file. */
export class GgufError extends Error {
  override readonly name = "GgufError";
  constructor(
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${path}: ${message}`, options);
  }
}

/** A GGUF file's contents in HF terms. */
export interface GgufCheckpoint {
  hfConfig: HfConfig;
  /** Tensors under HF names. */
  tensors: Map<string, mx.Array>;
  metadata: GgufMetadata;
}

/** The file's header, checked before MLX maps the file; a bad one is a GgufError. */
function checkedHeader(path: string): GgufHeader {
  try {
    return readGgufHeader(path);
  } catch (e) {
    if (e instanceof CheckpointError) throw new GgufError(path, e.reason, { cause: e });
    throw e;
  }
}

/**
 * Reads a .gguf file: tensors renamed to HF names, and an HF-style config (with a `quantization` section when
 * tensors are quantized). Throws GgufError for a missing, unreadable, truncated or corrupt file or a tensor type
 * we do not load (all checked before MLX maps the file), ModelTooLargeError for weights above the memory budget,
 * ConfigError for an unknown architecture.
 *
 * @example
 *   const { hfConfig, tensors } = readGguf("SmolLM2-135M-Instruct.Q4_1.gguf");
 */
export function readGguf(path: string): GgufCheckpoint {
  if (!existsSync(path) || !statSync(path).isFile()) throw new GgufError(path, "no such file");
  checkWeightsFit(path, checkedHeader(path).totalBytes);
  let file: mx.GgufFile;
  try {
    file = mx.loadGguf(path);
  } catch (e) {
    throw new GgufError(path, `not a readable GGUF file (${(e as Error).message})`, { cause: e });
  }
  const tensors = new Map<string, mx.Array>();
  const dispose = () => {
    for (const a of file.arrays.values()) a.dispose();
  };
  for (const [name, arr] of file.arrays) {
    const hfName = ggufToHfName(name);
    if (hfName === null && name === "rope_freqs.weight") {
      tensors.set(name, arr);
      continue;
    }
    if (hfName === null) {
      dispose();
      throw new GgufError(path, `tensor '${name}' has no HF counterpart`);
    }
    tensors.set(hfName, arr);
  }
  try {
    const hfConfig = hfConfigFromGguf(file.metadata, new Set(tensors.keys()));
    const quantization = quantizationFromShapes(hfConfig, tensors);
    if (quantization) hfConfig.quantization = quantization;
    return { hfConfig, tensors, metadata: file.metadata };
  } catch (e) {
    dispose();
    throw e;
  }
}

/**
 * Loads a .gguf file as a model (without its tokenizer: see {@link ggufTokenizer}).
 *
 * @example
 *   const { model, hfConfig } = loadGgufModel("SmolLM2-135M-Instruct.Q4_1.gguf");
 */
export function loadGgufModel(path: string): LoadedModel & { metadata: GgufMetadata } {
  const { hfConfig, tensors, metadata } = readGguf(path);
  try {
    const factory = factoryFor(hfConfig.model_type);
    const spec = factory.spec(hfConfig);
    const source = new Map([...tensors.keys()].map((k) => [k, basename(path)]));
    const store = new WeightStore(tensors, source, quantConfig(hfConfig));
    factory.sanitize(store, spec);
    const model = DecoderModel.load(store, spec);
    return { model, hfConfig, factory, path, metadata };
  } catch (e) {
    for (const a of tensors.values()) a.dispose();
    throw e;
  }
}

const DIGITS_THEN_GPT2 = {
  type: "Sequence",
  pretokenizers: [
    { type: "Digits", individual_digits: true },
    { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
  ],
};

/** llama.cpp pre-tokenizers that split digits one by one, then apply GPT-2's regex (SmolLM, StarCoder). */
const DIGIT_SPLIT_PRE = new Set(["smollm", "starcoder", "refact", "codeshell"]);

/** Tokenizer inputs from GGUF metadata, adding the digit-splitting pre-tokenizers src/tokenizer lacks. */
export function ggufTokenizerFiles(metadata: GgufMetadata): TokenizerFiles {
  const pre = metadata["tokenizer.ggml.pre"];
  if (typeof pre !== "string" || !DIGIT_SPLIT_PRE.has(pre)) return tokenizerFilesFromGguf(metadata);
  const files = tokenizerFilesFromGguf({ ...metadata, "tokenizer.ggml.pre": "gpt2" });
  return { ...files, tokenizerJson: { ...files.tokenizerJson, pre_tokenizer: DIGITS_THEN_GPT2 } };
}

/**
 * The tokenizer a .gguf file carries. Throws GgufError naming the file when its metadata has none we can use.
 *
 * @example
 *   const tok = ggufTokenizer(path, loadGgufModel(path).metadata);
 */
export function ggufTokenizer(path: string, metadata: GgufMetadata): ModelTokenizer {
  try {
    return ModelTokenizer.fromObjects(ggufTokenizerFiles(metadata));
  } catch (e) {
    if (e instanceof TokenizerError) throw new GgufError(path, `tokenizer: ${e.message}`, { cause: e });
    throw e;
  }
}
