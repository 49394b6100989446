/** Media types from the first bytes of a file, never from a URL or a header the client controls. */

export type MediaKind = "image" | "video";

/** The image formats sharp decodes here, and the containers ffmpeg reads for video. */
export const IMAGE_MIME_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/tiff"] as const;
export const VIDEO_MIME_TYPES = ["video/mp4", "video/quicktime", "video/webm", "video/x-matroska", "video/x-msvideo", "video/mpeg"] as const;

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((b, i) => bytes[offset + i] === b);
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, Math.min(end, bytes.length)));
}

function isoBaseMedia(bytes: Uint8Array): string | null {
  if (ascii(bytes, 4, 8) !== "ftyp") return null;
  const brand = ascii(bytes, 8, 12);
  if (brand === "qt  ") return "video/quicktime";
  if (["avif", "avis"].includes(brand)) return "image/avif";
  if (["heic", "heix", "mif1", "msf1", "hevc"].includes(brand)) return "image/heic";
  return "video/mp4";
}

function matroska(bytes: Uint8Array): string | null {
  if (!startsWith(bytes, [0x1a, 0x45, 0xdf, 0xa3])) return null;
  return ascii(bytes, 0, 64).includes("webm") ? "video/webm" : "video/x-matroska";
}

/**
 * The MIME type the bytes start with, or null when they match no known signature.
 *
 * @example
 *   sniffMime(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) // "image/png"
 */
export function sniffMime(bytes: Uint8Array): string | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (ascii(bytes, 0, 6) === "GIF87a" || ascii(bytes, 0, 6) === "GIF89a") return "image/gif";
  if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "WEBP") return "image/webp";
  if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "AVI ") return "video/x-msvideo";
  if (ascii(bytes, 0, 2) === "BM" && bytes.length >= 26) return "image/bmp";
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return "image/tiff";
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0xba]) || startsWith(bytes, [0x00, 0x00, 0x01, 0xb3])) return "video/mpeg";
  return isoBaseMedia(bytes) ?? matroska(bytes);
}

/** Whether a sniffed type is one this server decodes as `kind`. */
export function isSupportedMime(mime: string, kind: MediaKind): boolean {
  const allowed: readonly string[] = kind === "image" ? IMAGE_MIME_TYPES : VIDEO_MIME_TYPES;
  return allowed.includes(mime);
}
