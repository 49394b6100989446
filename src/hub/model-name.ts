/**
 * The short, readable id a served model gets from its spec: what `/v1/models` and `/health` show in place of
 * the path that was given.
 */
import { basename } from "node:path";
import { parseModelSpec } from "./resolve.ts";

/** llama.cpp's quantization tags as file name suffixes: `.Q4_1`, `-Q4_K_M`, `.IQ3_XS`, `.f16`, `-BF16`. */
const QUANT_SUFFIX = /[.-](I?Q\d+(_[A-Z0-9]+)*|F16|F32|BF16|FP16)$/i;
/** A Hugging Face cache snapshot: `…/models--org--name/snapshots/<commit>`. */
const HF_SNAPSHOT = /(?:^|\/)models--([^/]+?)--([^/]+)\/snapshots\/[^/]+\/?$/;

/**
 * The id for a model spec: a Hub repo id as is (without `@revision`); a folder by its name (a Hugging Face
 * cache snapshot by its repo id); a .gguf file by its name without `.gguf` and without a llama.cpp quantization
 * suffix, since the id names the model, not the file.
 *
 * @example
 *   modelDisplayName("mlx-community/Qwen3-0.6B-4bit@main"); // "mlx-community/Qwen3-0.6B-4bit"
 *   modelDisplayName("/models/qwen3-0.6b/");                 // "qwen3-0.6b"
 *   modelDisplayName("/cache/SmolLM2-135M-Instruct.Q4_1.gguf"); // "SmolLM2-135M-Instruct"
 */
export function modelDisplayName(spec: string, cwd = process.cwd()): string {
  const parsed = parseModelSpec(spec, cwd);
  if (parsed.kind === "repo") return parsed.repo;
  const snapshot = HF_SNAPSHOT.exec(parsed.path);
  if (snapshot) return `${snapshot[1]}/${snapshot[2]}`;
  const name = basename(parsed.path);
  if (!name.toLowerCase().endsWith(".gguf")) return name;
  const stem = name.slice(0, -".gguf".length);
  return stem.replace(QUANT_SUFFIX, "") || stem;
}
