/**
 * The surface of the VLMs whose images become a fixed run of placeholder tokens with no special positions
 * (Gemma 3, LLaVA): encode the images, merge them into the prompt's embeddings, then run the text decoder
 * through `ForwardOptions.inputEmbeds` and decode as a text model.
 */
import type * as mx from "../../mlx/index.ts";
import type { VisionLanguageModel } from "./vlm.ts";

export interface ImageLanguageModel extends VisionLanguageModel {
  /** The token id that stands for one image feature in the prompt. */
  readonly imageTokenId: number;
  /**
   * Pixel values as the family's processor writes them (`[N, 3, S, S]`) -> features `[N, T, textHidden]`.
   * LLaVA-NeXT: one image's `[1 + tiles, 3, S, S]` and its original `[height, width]` (required) -> `[1, T, D]`.
   */
  encodeImages(pixels: mx.Array, imageSize?: [number, number]): mx.Array;
  /** The prompt's input embeddings `[1, L, D]` with `features` (rows in prompt order) at image tokens. */
  inputEmbeds(tokens: readonly number[], features: mx.Array | null): mx.Array;
}
