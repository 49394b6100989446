/**
 * One VLM benchmark request, in-process: the family's processor, the vision tower, then single-sequence
 * generation (`src/engine/runner/generate.ts`) on the merged prompt. Each stage is timed on its own: the
 * encoder time is the tower's forward pass evaluated; TTFT runs from the raw pixels to the first token, as a
 * server would see it (preprocess + encode + prefill + first sample).
 */
import * as mx from "../mlx/index.ts";
import { generate } from "../engine/runner/generate.ts";
import { GREEDY } from "../engine/sampling/params.ts";
import type { RgbImage } from "../media/index.ts";
import { readConfig } from "../models/load.ts";
import { loadVlmDir } from "../models/vision/load-vlm.ts";
import { loadVisionProcessor } from "../models/vision/load-processor.ts";
import { expandPlaceholders, type ProcessedMedia, type VisionProcessor } from "../models/vision/processor.ts";
import { disposePrepared, promptInputs, vlmFamily, type VisionInput, type VlmModel } from "../models/vision/vlm.ts";
import { loadTokenizer, type ModelTokenizer } from "../tokenizer/index.ts";

/** A loaded VLM folder ready to benchmark. */
export interface VlmSubject {
  model: VlmModel;
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
  preprocessMs: number;
  /** The vision tower's forward pass, evaluated. */
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

/** Whether a folder's config names a VLM family this benchmark runs (Qwen2-VL, Qwen2.5-VL, Qwen3-VL). */
export async function isBenchVlm(dir: string): Promise<boolean> {
  try {
    return vlmFamily(await readConfig(dir)) !== null;
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
  const [{ model }, tokenizer] = await Promise.all([loadVlmDir(dir), loadTokenizer(dir)]);
  return { model, processor, tokenizer };
}

function preprocess(subject: VlmSubject, media: BenchMedia): ProcessedMedia {
  if (media.kind === "image") return subject.processor.processImage(media.image);
  if (!subject.processor.processVideo) throw new Error("this model's processor takes no video");
  return subject.processor.processVideo(media.frames);
}

/** The chat prompt's token ids with the item's placeholders expanded. */
export function promptTokens(subject: VlmSubject, item: Pick<ProcessedMedia, "kind" | "numTokens">, question: string): number[] {
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
  if (!processed.gridThw) throw new Error("the processor gave no grid for a Qwen-VL item");
  const t1 = performance.now();
  using pixels = mx.array(processed.pixelValues.data, { dtype: "float32", shape: processed.pixelValues.shape });
  const input: VisionInput = { kind: processed.kind, pixels, grids: [processed.gridThw] };
  const encoded = subject.model.encode(input);
  mx.evaluate(encoded.features, ...encoded.deepstack);
  const t2 = performance.now();
  const tokens = promptTokens(subject, processed, opts.question);
  const prepared = subject.model.prepare(tokens, [input], [encoded]);
  let first = 0;
  let n = 0;
  try {
    const stream = generate(subject.model.text, tokens, { maxTokens: opts.maxTokens, sampling: GREEDY,
      stopTokenIds: new Set(), inputs: promptInputs(prepared) });
    for (const _ of stream) if (++n === 1) first = performance.now();
  } finally {
    disposePrepared(prepared);
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
