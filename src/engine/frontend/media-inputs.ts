/**
 * A chat request's images and videos as the engine receives them: after the prompt thread fetched, decoded,
 * hashed and preprocessed each one, and found where its placeholder tokens sit in the tokenized prompt.
 * Also: the media serving options (`--allowed-local-media-path`, `--video-fps`, …) and the request-side
 * helpers that find media parts and name them for error messages.
 */
import type { MediaPolicy, VideoSampling } from "../../media/index.ts";
import type { ProcessedMedia } from "../../models/vision/processor.ts";
import type { ChatMessage, ContentPart } from "../protocol.ts";

/**
 * One image or video of a request, ready for the vision tower: the processor's tensors (`pixelValues`,
 * `gridThw`, `imageSize`, `numTokens`, see {@link ProcessedMedia}), the hex sha256 of its decoded content
 * (`hash`; video: with the fps and max frames that sampled it) and its placeholder tokens in the prompt
 * (`offset`, `length`: from its first placeholder token to its last; `numTokens` of them, except that a Qwen3-VL
 * video's range also spans the `<t.t seconds>` text and vision block tokens between its groups). Items are in prompt order. The shape is a superset of the engine core's
 * `MultiModalItem` (engine/multimodal/mm-items.ts) and of the prefix cache's `MultiModalPlaceholder`
 * (core/mm-keys.ts), so a prepared prompt's `media` is the core request's `mm` as it is.
 *
 * @example
 *   const { tokenIds, media } = await preparer.prepare(request, limits);
 *   for (const item of media ?? []) console.log(item.kind, item.offset, item.length, item.pixelValues.shape);
 */
export interface PromptMedia extends ProcessedMedia {
  hash: string;
  offset: number;
  length: number;
  /** Videos: the sampling that chose the frames (Qwen2.5-VL's seconds per temporal grid is `temporalPatch / fps`). */
  sampling?: VideoSampling;
}

/** How the server fetches, decodes and samples media (`serve`'s media flags fill it). */
export interface MediaServingOptions {
  policy: MediaPolicy;
  /** Video frames per second and most frames, when a request sets no `video_fps` / `video_max_frames`. */
  videoFps: number;
  videoMaxFrames: number;
}

/** The original project's defaults: 2 frames per second, at most 128 frames. */
export const DEFAULT_VIDEO_FPS = 2;
export const DEFAULT_VIDEO_MAX_FRAMES = 128;

/** One media part of a request: what it refers to and the request part that carried it. */
export interface MediaPart {
  kind: "image" | "video";
  ref: string;
  /** The part as the client's API names it, e.g. `messages[0].content[1]` or `input[2].content[0]`. */
  param: string;
}

function mediaOf(part: ContentPart): { kind: "image" | "video"; ref: string } | null {
  switch (part.type) {
    case "image_url":
      return { kind: "image", ref: part.image_url.url };
    case "video_url":
      return { kind: "video", ref: part.video_url.url };
    case "image":
      return { kind: "image", ref: part.image };
    case "video":
      return { kind: "video", ref: part.video };
    default:
      return null;
  }
}

/**
 * The media parts of `messages` in order. A part's `param` is the label its API route gave it (Messages and
 * Responses translate their own blocks), else `messages[i].content[j]`.
 *
 * @example
 *   mediaParts([{ role: "user", content: [{ type: "text", text: "?" }, { type: "image", image: "/a.png" }] }])
 *   // [{ kind: "image", ref: "/a.png", param: "messages[0].content[1]" }]
 */
export function mediaParts(messages: readonly ChatMessage[]): MediaPart[] {
  const out: MediaPart[] = [];
  messages.forEach((message, i) => {
    if (!Array.isArray(message.content)) return;
    message.content.forEach((part, j) => {
      const media = mediaOf(part);
      if (media) out.push({ ...media, param: ("param" in part ? part.param : undefined) ?? `messages[${i}].content[${j}]` });
    });
  });
  return out;
}

/** Whether a chat request carries any image or video part. */
export function hasMediaParts(messages: readonly ChatMessage[]): boolean {
  return messages.some((m) => Array.isArray(m.content) && m.content.some((part) => mediaOf(part) !== null));
}

/**
 * The messages as chat templates expect them: every media part becomes `{ type: "image" }` or
 * `{ type: "video" }` (what Qwen-VL, Gemma 3 and LLaVA templates test for), so each renders its marker once.
 */
export function templateMessages(messages: readonly ChatMessage[]): ChatMessage[] {
  return messages.map((message) => {
    if (!Array.isArray(message.content)) return message;
    const content = message.content.map((part): ContentPart | { type: "image" | "video" } => {
      const media = mediaOf(part);
      return media ? { type: media.kind } : part;
    });
    return { ...message, content: content as ContentPart[] };
  });
}

/** The buffers of `items` to transfer (not copy) across a thread boundary. */
export function mediaTransferList(items: readonly PromptMedia[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const item of items) buffers.add(item.pixelValues.data.buffer as ArrayBuffer);
  return [...buffers];
}
