/**
 * Images for `bench serve --image-size WxH --images-per-request N`: synthetic pictures encoded as JPEG
 * (quality 85, as the original benchmark sends them) in `data:image/jpeg;base64,` URLs. Every image of a run
 * is distinct (its own seed), so neither the prefix cache nor an encoder cache can serve one request from
 * another's image; the encoding happens before a request's clock starts.
 */
import { loadSharp } from "../media/sharp.ts";
import { syntheticImage } from "./vlm-cases.ts";

export interface ImageRequestSpec {
  width: number;
  height: number;
  perRequest: number;
}

/**
 * One synthetic image as a JPEG data URL.
 *
 * @example
 *   await imageDataUrl(224, 224, 1); // "data:image/jpeg;base64,/9j/..."
 */
export async function imageDataUrl(width: number, height: number, seed: number): Promise<string> {
  const image = syntheticImage(width, height, seed);
  const jpeg = await loadSharp()(image.data, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString("base64")}`;
}

/** Hands out the images of successive requests: `perRequest` new ones each call. */
export class BenchImageSource {
  #next: number;

  constructor(readonly spec: ImageRequestSpec, firstSeed = 1) {
    this.#next = firstSeed;
  }

  /** The data URLs for the next request. */
  async next(): Promise<string[]> {
    const seeds = Array.from({ length: this.spec.perRequest }, () => this.#next++);
    return Promise.all(seeds.map((s) => imageDataUrl(this.spec.width, this.spec.height, s)));
  }
}

/**
 * A chat message's content with images, in OpenAI's format: the text first, then one `image_url` part per
 * image (as vLLM's serving benchmark orders them), or the images first.
 *
 * @example
 *   chatContent("Describe", ["data:image/jpeg;base64,..."]);
 *   // [{ type: "text", text: "Describe" }, { type: "image_url", image_url: { url: "data:image/jpeg;base64,..." } }]
 */
export function chatContent(prompt: string, imageUrls: readonly string[], imagesFirst = false): string | Record<string, unknown>[] {
  if (imageUrls.length === 0) return prompt;
  const images = imageUrls.map((url) => ({ type: "image_url", image_url: { url } }));
  const text = { type: "text", text: prompt };
  return imagesFirst ? [...images, text] : [text, ...images];
}
