/**
 * Image and video attachments: what the model takes, which files the page accepts, the OpenAI content parts a
 * message is sent as, and the copies kept in the browser's storage. Pure, apart from `readAttachment`.
 */
import type { ModelCard } from "./api.ts";

export type AttachmentKind = "image" | "video";

export interface Attachment {
  id: string;
  kind: AttachmentKind;
  name: string;
  mime: string;
  /** Bytes of the file as attached. */
  size: number;
  /** `data:<mime>;base64,…` of the file as sent; "" when the saved copy did not keep it. */
  url: string;
  /** A small JPEG (data URL) of the image or the video's first frame; null when the browser cannot draw it. */
  preview: string | null;
  /** How the saved copy differs from the file: `url` is the small copy ("reduced"), or was not kept ("dropped"). */
  saved?: "reduced" | "dropped";
}

/** What the composer may attach; `reason` (why nothing) is null when something may. */
export interface AttachPolicy {
  reason: string | null;
  image: boolean;
  video: boolean;
}

/** All attachments of one message together: the server takes bodies up to 32 MiB, and base64 adds a third. */
export const MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024;

/** The types the server decodes (src/media/sniff.ts), with the extensions that stand for them. */
const TYPES: Record<string, { kind: AttachmentKind; ext: string[] }> = {
  "image/png": { kind: "image", ext: ["png"] },
  "image/jpeg": { kind: "image", ext: ["jpg", "jpeg"] },
  "image/gif": { kind: "image", ext: ["gif"] },
  "image/webp": { kind: "image", ext: ["webp"] },
  "image/bmp": { kind: "image", ext: ["bmp"] },
  "image/tiff": { kind: "image", ext: ["tif", "tiff"] },
  "video/mp4": { kind: "video", ext: ["mp4", "m4v"] },
  "video/quicktime": { kind: "video", ext: ["mov"] },
  "video/webm": { kind: "video", ext: ["webm"] },
  "video/x-matroska": { kind: "video", ext: ["mkv"] },
  "video/x-msvideo": { kind: "video", ext: ["avi"] },
  "video/mpeg": { kind: "video", ext: ["mpg", "mpeg"] },
};
const IMAGE_NAMES = "PNG, JPEG, GIF, WebP, BMP or TIFF";
const VIDEO_NAMES = "MP4, MOV, WebM, MKV, AVI or MPEG";

/**
 * What may be attached for this model. A server that does not say what its model takes (not vllm-mlx) is not
 * called text-only: images are offered, and its answer says the rest.
 *
 * @example
 *   attachPolicy(false, { id: "m", contextLength: null, capabilities: { vision: true, video: false } })
 *   // { reason: null, image: true, video: false }
 */
export function attachPolicy(textOnly: boolean, model: ModelCard | null): AttachPolicy {
  const off = (reason: string) => ({ reason, image: false, video: false });
  if (textOnly) return off("Attachments are off: this chat was started with --text-only.");
  if (model === null) return off("Attachments are off until the server says what its model takes.");
  const caps = model.capabilities;
  if (caps === null) return { reason: null, image: true, video: false };
  if (!caps.vision && !caps.video) return off(`Attachments are off: ${model.id} takes text only (no image or video input).`);
  return { reason: null, image: caps.vision, video: caps.video };
}

/** The file picker's `accept`: every type the policy allows, by MIME type and extension. */
export function acceptList(policy: AttachPolicy): string {
  return Object.entries(TYPES).filter(([, t]) => policy[t.kind]).flatMap(([mime, t]) => [mime, ...t.ext.map((e) => `.${e}`)]).join(",");
}

/** The file's MIME type: the browser's, else one from its extension (some systems give none); "" when unknown. */
export function mimeOf(file: { name: string; type: string }): string {
  const type = file.type.toLowerCase();
  if (type) return type === "image/jpg" ? "image/jpeg" : type;
  const ext = file.name.toLowerCase().split(".").pop() ?? "";
  return Object.entries(TYPES).find(([, t]) => t.ext.includes(ext))?.[0] ?? "";
}

/** "1.5 MB", "312 KB", "70 B": binary units, as the limit is counted. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(n >= 10 * 1024 * 1024 ? 0 : 1)} MB`;
  return n >= 1024 ? `${Math.round(n / 1024)} KB` : `${n} B`;
}

/**
 * Whether `file` may join attachments already `attached` bytes large: its kind and MIME type, or a sentence
 * saying why not.
 *
 * @example
 *   checkFile({ name: "a.png", type: "image/png", size: 10 }, { reason: null, image: true, video: false }, 0)
 *   // { kind: "image", mime: "image/png" }
 */
export function checkFile(
  file: { name: string; type: string; size: number }, policy: AttachPolicy, attached: number,
): { kind: AttachmentKind; mime: string } | { error: string } {
  if (policy.reason !== null) return { error: policy.reason };
  const mime = mimeOf(file);
  const known = TYPES[mime];
  if (!known) {
    const takes = [policy.image ? `${IMAGE_NAMES} images` : null, policy.video ? `${VIDEO_NAMES} videos` : null].filter((t) => t !== null).join(" and ");
    const what = mime.startsWith("image/") || mime.startsWith("video/") ? `of type ${mime}` : "not an image or video";
    return { error: `"${file.name}" is ${what}: this page sends ${takes}.` };
  }
  if (!policy[known.kind]) return { error: `"${file.name}" is a video: this model takes images only.` };
  if (file.size === 0) return { error: `"${file.name}" is empty.` };
  if (file.size > MAX_ATTACHMENT_BYTES) {
    return { error: `"${file.name}" is ${formatBytes(file.size)}: the limit is ${formatBytes(MAX_ATTACHMENT_BYTES)} for a message's attachments.` };
  }
  if (attached + file.size > MAX_ATTACHMENT_BYTES) {
    return { error: `"${file.name}" (${formatBytes(file.size)}) would take this message's attachments past the ${formatBytes(MAX_ATTACHMENT_BYTES)} limit.` };
  }
  return { kind: known.kind, mime };
}

export type ContentPart =
  | { type: "text"; text: string }
  | { type: "image_url"; image_url: { url: string } }
  | { type: "video_url"; video_url: { url: string } };

/**
 * A user message's `content` as sent: the text alone while nothing is attached (the text-only path), else OpenAI
 * content parts, the text first. Attachments whose saved copy was not kept are left out.
 *
 * @example
 *   contentParts("What is this?", [image]) // [{ type: "text", text: "What is this?" }, { type: "image_url", image_url: { url } }]
 */
export function contentParts(text: string, attachments: readonly Attachment[]): string | ContentPart[] {
  const media = attachments.filter((a) => a.url !== "");
  if (media.length === 0) return text;
  return [
    ...(text.trim() ? [{ type: "text" as const, text }] : []),
    ...media.map((a): ContentPart => (a.kind === "image"
      ? { type: "image_url", image_url: { url: a.url } }
      : { type: "video_url", video_url: { url: a.url } })),
  ];
}

/**
 * The copy of an attachment kept when the storage cannot hold the files: at "reduced" an image keeps its small
 * copy (sent in its place after a reload) and a video only its preview; at "dropped" only its name.
 */
export function storedCopy(a: Attachment, level: "reduced" | "dropped"): Attachment {
  if (level === "dropped") return { ...a, url: "", preview: null, saved: "dropped" };
  if (a.saved) return a;
  if (a.kind === "image" && a.preview) return { ...a, url: a.preview, saved: "reduced" };
  return { ...a, url: "", saved: "dropped" };
}

/** The data URL with its declared type set to `mime` (a browser gives files it cannot type application/octet-stream). */
export function withMime(url: string, mime: string): string {
  return url.replace(/^data:[^,]*?;base64,/, `data:${mime};base64,`);
}
