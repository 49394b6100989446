/**
 * The engine's view of a vision-language model: its text decoder, what one image or video encodes to, and how
 * its prompt positions work. One adapter over the families: Qwen-VL (`VlmModel`: grids, M-RoPE, Qwen3-VL's
 * deepstack) and the fixed-token families (Gemma 3, LLaVA: `ImageLanguageModel`, plain positions).
 */
import * as mx from "../../mlx/index.ts";
import type { DecoderModel } from "../../models/decoder.ts";
import { Gemma3VisionModel } from "../../models/vision/gemma3-vision.ts";
import type { ImageLanguageModel } from "../../models/vision/image-vlm.ts";
import { LlavaModel } from "../../models/vision/llava.ts";
import type { RopeIndexConfig } from "../../models/vision/rope-index.ts";
import { type VisionLanguageModel, VlmModel } from "../../models/vision/vlm.ts";
import type { MultiModalItem } from "./mm-items.ts";

/** One item's encoder output: a row per placeholder token, in the item's placeholder order. */
export interface EncoderOutput {
  /** `[numPlaceholders, D]` */
  features: mx.Array;
  /** Qwen3-VL: one `[numPlaceholders, D]` per deepstack layer; empty otherwise. */
  deepstack: mx.Array[];
}

export interface MultimodalModel {
  readonly text: DecoderModel;
  /** Qwen-VL's M-RoPE token ids and merge size; null for families with plain positions. */
  readonly mrope: RopeIndexConfig | null;
  /** The token that stands for one feature row of an item of `kind`. */
  placeholderTokenId(kind: MultiModalItem["kind"]): number;
  /** Runs the vision tower (and projector) over one item, lazily. */
  encode(item: MultiModalItem): EncoderOutput;
}

export function disposeEncoderOutput(out: EncoderOutput): void {
  out.features.dispose();
  for (const d of out.deepstack) d.dispose();
}

/** Bytes an encoder output holds (the encoder cache's size of an entry). */
export function encoderOutputBytes(out: EncoderOutput): number {
  return [out.features, ...out.deepstack].reduce((n, a) => n + a.nbytes, 0);
}

function pixels(item: MultiModalItem): mx.Array {
  return mx.array(item.pixelValues.data, { dtype: "float32", shape: item.pixelValues.shape });
}

class QwenVlAdapter implements MultimodalModel {
  constructor(readonly vlm: VlmModel) {}

  get text(): DecoderModel {
    return this.vlm.text;
  }

  get mrope(): RopeIndexConfig {
    return this.vlm.tokens;
  }

  placeholderTokenId(kind: MultiModalItem["kind"]): number {
    return kind === "image" ? this.vlm.tokens.imageTokenId : this.vlm.tokens.videoTokenId;
  }

  encode(item: MultiModalItem): EncoderOutput {
    if (!item.gridThw) throw new RangeError(`a Qwen-VL ${item.kind} needs its grid (gridThw)`);
    using px = pixels(item);
    return this.vlm.encode({ kind: item.kind, pixels: px, grids: [item.gridThw] });
  }
}

class ImageAdapter implements MultimodalModel {
  readonly mrope = null;
  constructor(readonly vlm: ImageLanguageModel) {}

  get text(): DecoderModel {
    return this.vlm.text;
  }

  placeholderTokenId(): number {
    return this.vlm.imageTokenId;
  }

  encode(item: MultiModalItem): EncoderOutput {
    if (item.kind !== "image") throw new RangeError("this model takes images only");
    using px = pixels(item);
    using feats = this.vlm.encodeImages(px, item.imageSize); // [N, T, D]; LLaVA-NeXT packs its tiles to [1, T, D]
    const D = feats.shape[feats.ndim - 1]!;
    using rows = mx.reshape(feats, [-1, D]);
    // Gemma 3 scales image features by 1/sqrt(hidden_size) before the decoder's embedding scale (mlx-vlm).
    const features = this.vlm instanceof Gemma3VisionModel ? mx.divide(rows, Math.sqrt(this.vlm.config.featureScaleHidden)) : mx.contiguous(rows);
    return { features, deepstack: [] };
  }
}

/**
 * @example
 *   const mm = multimodalModel(loaded.vlm); // loadModelDir's VLM
 *   const out = mm.encode(item);            // features [item's placeholders, D]
 */
export function multimodalModel(vlm: VisionLanguageModel): MultimodalModel {
  if (vlm instanceof VlmModel) return new QwenVlAdapter(vlm);
  if (vlm instanceof Gemma3VisionModel || vlm instanceof LlavaModel) return new ImageAdapter(vlm);
  throw new TypeError("unsupported vision-language model");
}
