/** Gemma 3 preprocessing: a fixed square resize (896, aspect not kept), PIL bilinear, mean = std = 0.5, 256 tokens. */
import type { RgbImage } from "../../media/index.ts";
import { type Normalization, normalizeToChw } from "./image-ops.ts";
import { pilResize } from "./pil-resample.ts";
import type { MediaTokens, ProcessedMedia, VisionProcessor } from "./processor.ts";

export interface Gemma3ProcessorConfig {
  size: number;
  imageSeqLength: number;
  resample: "bilinear" | "bicubic";
  norm: Normalization;
}

export class Gemma3Processor implements VisionProcessor {
  readonly family = "gemma3" as const;
  readonly marker = { image: "<start_of_image>", video: null };
  readonly placeholderToken = { image: "<image_soft_token>", video: null };
  readonly processVideo = null;

  constructor(readonly config: Gemma3ProcessorConfig) {}

  processImage(image: RgbImage): ProcessedMedia {
    const s = this.config.size;
    const data = normalizeToChw(pilResize(image, s, s, this.config.resample), this.config.norm);
    return { kind: "image", pixelValues: { data, shape: [1, 3, s, s] }, numTokens: this.config.imageSeqLength };
  }

  /** The processor's full image sequence: blank lines around begin-of-image, the soft tokens, end-of-image. */
  expansion({ numTokens }: MediaTokens): string {
    return `\n\n<start_of_image>${"<image_soft_token>".repeat(numTokens)}<end_of_image>\n\n`;
  }
}
