/** Image decoding with sharp: header-checked size, EXIF orientation, sRGB, alpha dropped, 8-bit RGB out. */
import type { Metadata } from "sharp";
import { MediaError, overPixelLimit, throwIfCancelled } from "./errors.ts";
import { loadSharp } from "./sharp.ts";

/** Decoded pixels, row-major `[height, width, 3]` RGB bytes. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Decodes image bytes to RGB. The pixel count is read from the header and checked against `maxPixels`
 * before any pixel is decoded. Orientation follows EXIF; colour goes to sRGB; an alpha channel is dropped, as
 * PIL's `convert("RGB")` in the reference processors does. sharp's work cannot be interrupted: an aborted
 * `signal` is checked before each step and on return.
 *
 * @example
 *   const { width, height, data } = await decodeImage(pngBytes, 64_000_000);
 */
export async function decodeImage(bytes: Uint8Array, maxPixels: number, signal?: AbortSignal): Promise<RgbImage> {
  throwIfCancelled(signal);
  const sharp = loadSharp();
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new MediaError("the image data is corrupt or not a supported image");
  }
  const { width, height } = meta;
  if (!width || !height) throw new MediaError("the image header has no size");
  if (width * height > maxPixels) {
    throw new MediaError(overPixelLimit("image", width, height, maxPixels));
  }
  throwIfCancelled(signal);
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: "error" })
      .autoOrient()
      .toColourspace("srgb")
      .removeAlpha()
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    throwIfCancelled(signal);
    if (info.channels !== 3) throw new MediaError(`the image decoded to ${info.channels} channels, not RGB`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (e) {
    if (e instanceof MediaError) throw e;
    throw new MediaError("the image data is corrupt or truncated");
  }
}
