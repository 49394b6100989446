/** Reads an attached file in the browser: its data URL, and a small JPEG of it for thumbnails and a full storage. */
import { type Attachment, type AttachmentKind, withMime } from "./attachments.ts";
import { newId } from "./store.ts";

/** The longest side of a preview, in pixels: sharp in a thumbnail, and still useful to the model when it is all that was kept. */
const PREVIEW_SIDE = 768;
const VIDEO_FRAME_TIMEOUT_MS = 5_000;

/** The file as an attachment; rejects when the file cannot be read (a missing preview is not an error). */
export async function readAttachment(file: File, kind: AttachmentKind, mime: string): Promise<Attachment> {
  const [url, preview] = await Promise.all([
    readDataUrl(file),
    (kind === "image" ? imagePreview(file) : videoPreview(file)).catch(() => null),
  ]);
  const name = file.name || `pasted ${kind}`;
  return { id: newId(), kind, name, mime, size: file.size, url: withMime(url, mime), preview };
}

function readDataUrl(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as string);
    reader.onerror = () => reject(reader.error ?? new Error("the browser could not read it"));
    reader.readAsDataURL(file);
  });
}

function toJpeg(source: CanvasImageSource, width: number, height: number): string {
  const scale = Math.min(1, PREVIEW_SIDE / Math.max(width, height, 1));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const context = canvas.getContext("2d");
  if (!context) throw new Error("no 2D canvas");
  context.fillStyle = "#ffffff"; // JPEG has no alpha: transparent parts turn white, not black
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(source, 0, 0, canvas.width, canvas.height);
  return canvas.toDataURL("image/jpeg", 0.85);
}

async function imagePreview(file: Blob): Promise<string> {
  const bitmap = await createImageBitmap(file);
  try {
    return toJpeg(bitmap, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}

/** A frame near the start of the video; rejects when the browser cannot play it or takes too long. */
function videoPreview(file: Blob): Promise<string> {
  const src = URL.createObjectURL(file);
  const video = document.createElement("video");
  video.muted = true;
  video.preload = "auto";
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no frame in time")), VIDEO_FRAME_TIMEOUT_MS);
    video.onloadeddata = () => { video.currentTime = Math.min(0.1, (video.duration || 0) / 2); };
    video.onseeked = () => {
      clearTimeout(timer);
      try {
        resolve(toJpeg(video, video.videoWidth, video.videoHeight));
      } catch (e) {
        reject(e);
      }
    };
    video.onerror = () => { clearTimeout(timer); reject(new Error("the browser cannot play it")); };
    video.src = src;
  }).finally(() => {
    video.removeAttribute("src");
    video.load();
    URL.revokeObjectURL(src);
  });
}
