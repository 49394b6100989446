/**
 * A chat prompt with images and videos, prepared on the prompt thread: each media part is fetched, decoded and
 * hashed (src/media), preprocessed by the model's vision processor, the template's markers are expanded to the
 * items' placeholder tokens, and the prompt is tokenized and its items located. Every failure of one part is an
 * {@link InvalidRequestError} whose message and `param` name that part.
 */
import { type DecodedMedia, loadMedia, MediaCancelledError, MediaError, type VideoSampling } from "../../media/index.ts";
import { expandPlaceholders, placeholderRanges, placeholderRuns, ProcessorConfigError, type ProcessedMedia, type VisionProcessor } from "../../models/vision/processor.ts";
import { QwenVlProcessor } from "../../models/vision/qwen-vl-processor.ts";
import { ChatTemplateError, type ChatMessage as TemplateMessage, type ModelTokenizer } from "../../tokenizer/index.ts";
import { type ChatGenerateRequest, type GenerateRequest, InvalidRequestError } from "../protocol.ts";
import { type MediaPart, type MediaServingOptions, mediaParts, type PromptMedia, templateMessages } from "./media-inputs.ts";
import { completionBudget, type PreparedPrompt, type PromptLimits, templateOptions } from "./prompt.ts";

type ChatRequest = Extract<GenerateRequest, { kind: "chat" }>;

/** Qwen's video sampler bounds: at least 4 frames, counts in multiples of the temporal patch. */
const MIN_VIDEO_FRAMES = 4;

function partError(part: MediaPart, message: string): InvalidRequestError {
  return new InvalidRequestError(`${part.param}: ${message}`, part.param);
}

/** The request's video sampling: its own `video_fps` / `video_max_frames`, else the server's. */
export function videoSampling(request: Pick<ChatGenerateRequest, "videoSampling">, serving: MediaServingOptions, processor: VisionProcessor): VideoSampling {
  return {
    fps: request.videoSampling?.fps ?? serving.videoFps,
    maxFrames: request.videoSampling?.maxFrames ?? serving.videoMaxFrames,
    minFrames: MIN_VIDEO_FRAMES,
    frameFactor: processor instanceof QwenVlProcessor ? processor.config.temporalPatchSize : 2,
  };
}

/**
 * Fetches and decodes every part concurrently. The first failure cancels the other parts' fetches and ffmpeg
 * runs, as `signal` (the request's) does; the error is the first failing part in request order that was not
 * cancelled.
 */
async function loadParts(parts: MediaPart[], sampling: VideoSampling, processor: VisionProcessor, serving: MediaServingOptions, signal?: AbortSignal): Promise<DecodedMedia[]> {
  for (const part of parts) {
    if (part.kind === "video" && processor.processVideo === null) throw partError(part, "this model takes images, not video");
  }
  const failed = new AbortController();
  const options = { signal: signal ? AbortSignal.any([signal, failed.signal]) : failed.signal };
  const settled = await Promise.allSettled(
    parts.map((part) => {
      const input = part.kind === "image" ? { kind: "image" as const, ref: part.ref } : { kind: "video" as const, ref: part.ref, sampling };
      return loadMedia(input, serving.policy, options).catch((e: unknown) => {
        failed.abort();
        throw e;
      });
    }),
  );
  // Parts cancelled because another failed report that one: the first failure that is not a cancellation wins.
  const first = settled.findIndex((r) => r.status === "rejected" && !(r.reason instanceof MediaCancelledError));
  const reported = first >= 0 ? settled[first]! : settled.find((r) => r.status === "rejected");
  if (reported) {
    const e: unknown = (reported as PromiseRejectedResult).reason;
    if (e instanceof MediaError) throw partError(parts[settled.indexOf(reported)]!, e.message);
    throw e;
  }
  return settled.map((result) => (result as PromiseFulfilledResult<DecodedMedia>).value);
}

function processPart(part: MediaPart, decoded: DecodedMedia, processor: VisionProcessor): ProcessedMedia {
  try {
    if (decoded.kind === "image") return processor.processImage(decoded.image);
    // Qwen3-VL states each frame group's time: the source frame indices over the source frame rate.
    return processor.processVideo!(decoded.video.frames, { sourceFps: decoded.video.sourceFps, indices: decoded.video.indices });
  } catch (e) {
    if (e instanceof ProcessorConfigError || e instanceof MediaError) throw partError(part, e.message);
    throw e;
  }
}

function renderExpanded(tokenizer: ModelTokenizer, request: ChatRequest, processed: ProcessedMedia[], processor: VisionProcessor): string {
  let text: string;
  try {
    text = tokenizer.applyChatTemplate(templateMessages(request.messages) as TemplateMessage[], templateOptions(request));
  } catch (e) {
    if (e instanceof ChatTemplateError) throw new InvalidRequestError(e.message, "messages");
    throw e;
  }
  try {
    return expandPlaceholders(text, processed, processor);
  } catch (e) {
    throw new InvalidRequestError(`the media parts do not match the rendered prompt: ${(e as Error).message}`, "messages");
  }
}

/** Each kind's placeholder ranges, merged back into the items' order (image and video tokens are different ids). */
function locate(tokenizer: ModelTokenizer, tokenIds: number[], processed: ProcessedMedia[], processor: VisionProcessor): [number, number][] {
  const ranges: [number, number][] = new Array(processed.length);
  for (const kind of ["image", "video"] as const) {
    const indices = processed.flatMap((p, i) => (p.kind === kind ? [i] : []));
    if (indices.length === 0) continue;
    const token = processor.placeholderToken[kind]!;
    const id = tokenizer.tokenToId(token);
    if (id === undefined) throw new Error(`the tokenizer has no ${token} token`);
    let found: [number, number][];
    try {
      found = placeholderRanges(tokenIds, id, indices.map((i) => placeholderRuns(processed[i]!)));
    } catch (e) {
      // The text itself spelled a placeholder token.
      throw new InvalidRequestError(`the prompt's ${token} tokens do not match its ${kind} parts: ${(e as Error).message}`, "messages");
    }
    indices.forEach((i, k) => (ranges[i] = found[k]!));
  }
  return ranges;
}

/**
 * Prepares a chat request that carries media. Throws {@link InvalidRequestError} naming the part for bad
 * media, and {@link ContextLengthError} when the prompt with its image tokens does not fit. `signal` (the
 * request's) cancels the media fetches and decodes still running.
 *
 * @example
 *   const prepared = await prepareMediaPrompt(tokenizer, processor, request, { contextLength: 32768 }, serving);
 *   prepared.media![0]!.offset; // the first image's first placeholder token
 */
export async function prepareMediaPrompt(
  tokenizer: ModelTokenizer,
  processor: VisionProcessor,
  request: ChatRequest,
  limits: PromptLimits,
  serving: MediaServingOptions,
  signal?: AbortSignal,
): Promise<PreparedPrompt> {
  const parts = mediaParts(request.messages);
  const decoded = await loadParts(parts, videoSampling(request, serving, processor), processor, serving, signal);
  const processed = parts.map((part, i) => processPart(part, decoded[i]!, processor));
  const text = renderExpanded(tokenizer, request, processed, processor);
  const tokenIds = tokenizer.encode(text);
  const ranges = locate(tokenizer, tokenIds, processed, processor);
  const media = processed.map((p, i): PromptMedia => {
    const d = decoded[i]!;
    const [offset, end] = ranges[i]!;
    return { ...p, hash: d.contentHash, offset, length: end - offset, ...(d.kind === "video" ? { sampling: d.sampling } : {}) };
  });
  const maxTokens = completionBudget(tokenIds.length, request, limits);
  const opens = limits.reasoningStart ? text.trimEnd().endsWith(limits.reasoningStart) : undefined;
  return { tokenIds, maxTokens, media, ...(opens === undefined ? {} : { promptOpensReasoning: opens }) };
}
