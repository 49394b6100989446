/**
 * One VLM benchmark request, in-process, for every VLM family (Qwen2-VL, Qwen2.5-VL, Qwen3-VL through their
 * grids and M-RoPE; Gemma 3, LLaVA 1.5, LLaVA-NeXT through their fixed image-token runs): the family's
 * processor, the vision tower, then single-sequence
 * generation (`src/engine/runner/generate.ts`) on the merged prompt. Each stage is timed on its own: the
 * encoder time is the tower's forward pass evaluated; TTFT runs from the raw pixels to the first token, as a
 * server would see it (preprocess + encode + prefill + first sample).
 */
import * as mx from "../mlx/index.ts";
import { generate } from "../engine/runner/generate.ts";
import { GREEDY } from "../engine/sampling/params.ts";
import type { RgbImage } from "../media/index.ts";
import type { DecoderModel, PromptInputs } from "../models/decoder.ts";
import { loadModelDir, readConfig } from "../models/load.ts";
import { vlmArch } from "../models/vision/families.ts";
import type { ImageLanguageModel } from "../models/vision/image-vlm.ts";
import { loadVisionProcessor } from "../models/vision/load-processor.ts";
import { expandPlaceholders, type MediaTokens, type ProcessedMedia, type VisionProcessor } from "../models/vision/processor.ts";
import { disposePrepared, promptInputs, type VisionLanguageModel, VlmModel } from "../models/vision/vlm.ts";
import { loadTokenizer, type ModelTokenizer } from "../tokenizer/index.ts";

/** What the tower made of one item: features (and Qwen3-VL's deepstack features). */
interface Encoded {
  features: mx.Array;
  deepstack: mx.Array[];
}

/** One family's encode and merge, over the model's own API. */
interface VisionSide {
  text: DecoderModel;
  encode(item: ProcessedMedia, pixels: mx.Array): Encoded;
  /** The decoder inputs of the prompt with `encoded` merged; `dispose` frees them. */
  merge(tokens: readonly number[], item: ProcessedMedia, pixels: mx.Array, encoded: Encoded): { inputs: PromptInputs; dispose(): void };
}

function qwenSide(model: VlmModel): VisionSide {
  const input = (item: ProcessedMedia, pixels: mx.Array) => {
    if (!item.gridThw) throw new Error("the processor gave no grid for a Qwen-VL item");
    return { kind: item.kind, pixels, grids: [item.gridThw] };
  };
  return {
    text: model.text,
    encode: (item, pixels) => model.encode(input(item, pixels)),
    merge(tokens, item, pixels, encoded) {
      const prepared = model.prepare(tokens, [input(item, pixels)], [encoded]);
      return { inputs: promptInputs(prepared), dispose: () => disposePrepared(prepared) };
    },
  };
}

/** Gemma 3, LLaVA 1.5 and LLaVA-NeXT: a fixed run of image tokens at plain positions. */
function imageSide(model: ImageLanguageModel): VisionSide {
  return {
    text: model.text,
    encode: (item, pixels) => ({ features: model.encodeImages(pixels, item.imageSize), deepstack: [] }),
    merge(tokens, _item, _pixels, encoded) {
      const embeds = model.inputEmbeds(tokens, encoded.features);
      const D = embeds.shape[2]!;
      return {
        inputs: { prefill: (start, end) => ({ inputEmbeds: mx.slice(embeds, [0, start, 0], [1, end, D]) }), decode: {} },
        dispose: () => embeds.dispose(),
      };
    },
  };
}

/** A loaded VLM folder ready to benchmark. */
export interface VlmSubject {
  side: VisionSide;
  processor: VisionProcessor;
  tokenizer: ModelTokenizer;
}

/** The media of one request: one image, or the frames of one video. */
export type BenchMedia = { kind: "image"; image: RgbImage } | { kind: "video"; frames: RgbImage[] };

export interface CaseTiming {
  promptTokens: number;
  /** Placeholder tokens the image or video takes in the prompt. */
  mediaTokens: number;
  generatedTokens: number;
  /** The family's processor, up to its pixel values as an MLX array. */
  preprocessMs: number;
  /** The vision tower's forward pass on that array, evaluated. */
  encodeMs: number;
  /** From the raw pixels to the first generated token. */
  ttftMs: number;
  /** Prompt prefill (with the merged embeddings) and the first sample. */
  prefillMs: number;
  /** Tokens after the first, per second of decoding. */
  decodeTps: number;
  totalMs: number;
  /** MLX's peak memory during this request (reset at its start). */
  peakMemoryBytes: number;
}

/** Whether a folder's config names a VLM family (Qwen2-VL, Qwen2.5-VL, Qwen3-VL, Gemma 3, LLaVA 1.5, LLaVA-NeXT). */
export async function isBenchVlm(dir: string): Promise<boolean> {
  try {
    return vlmArch(await readConfig(dir)) !== null;
  } catch {
    return false;
  }
}

/**
 * Loads the model, its processor and its tokenizer.
 *
 * @example
 *   const subject = await loadVlmSubject("/models/Qwen2.5-VL-3B-Instruct-4bit");
 */
export async function loadVlmSubject(dir: string): Promise<VlmSubject> {
  const processor = loadVisionProcessor(dir);
  if (!processor) throw new Error(`${dir} has no vision processor (config.json's model_type is not a VLM family)`);
  const [{ vlm }, tokenizer] = await Promise.all([loadModelDir(dir), loadTokenizer(dir)]);
  if (!vlm) throw new Error(`${dir} loaded as a text model`);
  return { side: vlmSide(vlm), processor, tokenizer };
}

function vlmSide(vlm: VisionLanguageModel): VisionSide {
  if (vlm instanceof VlmModel) return qwenSide(vlm);
  if ("encodeImages" in vlm && "inputEmbeds" in vlm) return imageSide(vlm as ImageLanguageModel);
  throw new Error("this vision model has neither Qwen-VL's nor the image-token families' interface");
}

function preprocess(subject: VlmSubject, media: BenchMedia): ProcessedMedia {
  if (media.kind === "image") return subject.processor.processImage(media.image);
  if (!subject.processor.processVideo) throw new Error("this model's processor takes no video");
  return subject.processor.processVideo(media.frames);
}

/** The chat prompt's token ids with the item's placeholders expanded. */
export function promptTokens(subject: VlmSubject, item: MediaTokens, question: string): number[] {
  const text = subject.tokenizer.applyChatTemplate([
    { role: "user", content: [{ type: item.kind }, { type: "text", text: question }] },
  ]);
  return subject.tokenizer.encode(expandPlaceholders(text, [item], subject.processor), { addSpecialTokens: false });
}

/**
 * Runs one request: greedy, exactly `maxTokens` tokens (end-of-sequence ignored, so every case decodes the
 * same length).
 *
 * @example
 *   const t = runVlmCase(subject, { kind: "image", image: syntheticImage(224, 224) }, { maxTokens: 32, question: "Describe it." });
 */
export function runVlmCase(subject: VlmSubject, media: BenchMedia, opts: { maxTokens: number; question: string }): CaseTiming {
  mx.resetPeakMemory();
  const t0 = performance.now();
  const processed = preprocess(subject, media);
  // The pixel array is the processor's output (mlx-vlm's processor returns it as an mx.array too): preprocessing.
  using pixels = mx.array(processed.pixelValues.data, { dtype: "float32", shape: processed.pixelValues.shape });
  const t1 = performance.now();
  const encoded = subject.side.encode(processed, pixels);
  mx.evaluate(encoded.features, ...encoded.deepstack);
  const t2 = performance.now();
  const tokens = promptTokens(subject, processed, opts.question);
  const merged = subject.side.merge(tokens, processed, pixels, encoded);
  let first = 0;
  let n = 0;
  try {
    const stream = generate(subject.side.text, tokens, { maxTokens: opts.maxTokens, sampling: GREEDY,
      stopTokenIds: new Set(), inputs: merged.inputs });
    for (const _ of stream) if (++n === 1) first = performance.now();
  } finally {
    merged.dispose();
    encoded.features.dispose();
    for (const d of encoded.deepstack) d.dispose();
  }
  const end = performance.now();
  return {
    promptTokens: tokens.length, mediaTokens: processed.numTokens, generatedTokens: n,
    preprocessMs: t1 - t0, encodeMs: t2 - t1, ttftMs: first - t0, prefillMs: first - t2,
    decodeTps: n > 1 ? ((n - 1) * 1000) / (end - first) : NaN, totalMs: end - t0,
    peakMemoryBytes: mx.getPeakMemory(),
  };
}
