/** A model folder's vision processor, from `config.json`'s `model_type` and the processor JSON files beside it. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Gemma3Processor } from "./gemma3-processor.ts";
import type { Normalization } from "./image-ops.ts";
import { LlavaProcessor } from "./llava-processor.ts";
import { ProcessorConfigError, type VisionFamily, type VisionProcessor } from "./processor.ts";
import { QwenVlProcessor } from "./qwen-vl-processor.ts";

type Json = Record<string, unknown>;

const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;
const FAMILIES: Record<string, VisionFamily> = {
  qwen2_vl: "qwen2_vl", qwen2_5_vl: "qwen2_5_vl", qwen3_vl: "qwen3_vl", gemma3: "gemma3", llava: "llava", llava_next: "llava_next",
};

function readJson(dir: string, name: string): Json | null {
  const path = join(dir, name);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Json;
  } catch {
    throw new ProcessorConfigError(`${name} is not valid JSON`);
  }
}

function num(json: Json, key: string, fallback: number): number {
  const v = json[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v)) throw new ProcessorConfigError(`${key} must be a number`);
  return v;
}

function triple(json: Json, key: string, fallback: readonly [number, number, number]): [number, number, number] {
  const v = json[key];
  if (v === undefined || v === null) return [...fallback];
  if (typeof v === "number") return [v, v, v];
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === "number")) throw new ProcessorConfigError(`${key} must be 3 numbers`);
  return v as [number, number, number];
}

function norm(json: Json, mean: readonly [number, number, number], std: readonly [number, number, number], rescaleIn: Normalization["rescaleIn"]): Normalization {
  return { rescaleFactor: num(json, "rescale_factor", 1 / 255), mean: triple(json, "image_mean", mean), std: triple(json, "image_std", std), rescaleIn };
}

/** min/max pixels as mlx-vlm reads them: `size.shortest_edge/longest_edge`, overridden by `min_pixels/max_pixels`. */
function pixelBudget(json: Json, min: number, max: number): [number, number] {
  const size = (json.size ?? {}) as Json;
  return [num(json, "min_pixels", num(size, "shortest_edge", min)), num(json, "max_pixels", num(size, "longest_edge", max))];
}

function qwen(family: VisionFamily, pre: Json, video: Json | null): QwenVlProcessor {
  const patch = num(pre, "patch_size", family === "qwen3_vl" ? 16 : 14);
  const [minPixels, maxPixels] = pixelBudget(pre, 56 * 56, 14 * 14 * 4 * 1280);
  const videoJson = video ?? pre;
  const [videoMinPixels, videoMaxPixels] = pixelBudget(videoJson, 128 * 32 * 32, 32 * 32 * 768);
  return new QwenVlProcessor(family, {
    patchSize: patch,
    mergeSize: num(pre, "merge_size", 2),
    temporalPatchSize: num(pre, "temporal_patch_size", 2),
    minPixels, maxPixels, videoMinPixels, videoMaxPixels,
    videoFps: num(videoJson, "fps", 2),
    norm: norm(pre, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5], "float32"),
  });
}

function llava(family: "llava" | "llava_next", pre: Json, proc: Json): LlavaProcessor {
  const size = (pre.size ?? {}) as Json;
  const crop = (pre.crop_size ?? {}) as Json;
  const pinpoints = (pre.image_grid_pinpoints ?? []) as [number, number][];
  if (family === "llava_next" && pinpoints.length === 0) throw new ProcessorConfigError("LLaVA-NeXT needs image_grid_pinpoints");
  return new LlavaProcessor(family, {
    shortestEdge: num(size, "shortest_edge", 336),
    cropSize: num(crop, "height", 336),
    patchSize: num(proc, "patch_size", 14),
    norm: norm(pre, CLIP_MEAN, CLIP_STD, "float64"),
    gridPinpoints: pinpoints,
    numAdditionalImageTokens: num(proc, "num_additional_image_tokens", family === "llava" ? 1 : 1),
    dropsClsToken: (proc.vision_feature_select_strategy ?? "default") === "default",
  });
}

/**
 * The processor for a VLM folder, or null when `config.json`'s `model_type` is not a vision family.
 *
 * @example
 *   const processor = loadVisionProcessor("/models/Qwen2.5-VL-3B-Instruct-4bit");
 */
export function loadVisionProcessor(dir: string): VisionProcessor | null {
  const config = readJson(dir, "config.json") ?? {};
  const family = FAMILIES[String(config.model_type ?? "")];
  if (!family) return null;
  const pre = readJson(dir, "preprocessor_config.json") ?? {};
  const proc = readJson(dir, "processor_config.json") ?? {};
  if (family === "gemma3") {
    const size = (pre.size ?? {}) as Json;
    return new Gemma3Processor({
      size: num(size, "height", 896),
      imageSeqLength: num(proc, "image_seq_length", num(pre, "image_seq_length", 256)),
      resample: num(pre, "resample", 2) === 3 ? "bicubic" : "bilinear",
      norm: norm(pre, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5], "float64"),
    });
  }
  if (family === "llava" || family === "llava_next") return llava(family, pre, proc);
  return qwen(family, { ...pre, ...((proc.image_processor ?? {}) as Json) }, readJson(dir, "video_preprocessor_config.json"));
}
