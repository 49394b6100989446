/**
 * A vision-language model: a vision tower and a text decoder from src/models. The prompt's placeholder
 * tokens (`<|image_pad|>`, `<|video_pad|>`) are replaced by the tower's features, and the decoder runs on
 * those embeddings at M-RoPE positions. Loads mlx-vlm's layout (`vision_tower.*`, `language_model.*`) and
 * HF's (`visual.*`, `model.*`, `model.language_model.*`).
 */
import * as mx from "../../mlx/index.ts";
import type { WeightStore } from "../../nn/weights.ts";
import { ConfigError, num, type HfConfig } from "../config.ts";
import { DecoderModel, type DecoderSpec, type ForwardOptions, type PromptInputs } from "../decoder.ts";
import { sanitizeCommon } from "../llama.ts";
import type { Grid, VisionOutput, VisionTower } from "./qwen-vit.ts";
import { Qwen2VisionTower, qwen2VlTextSpec } from "./qwen2-vl.ts";
import { Qwen25VisionTower, qwen25VlTextSpec } from "./qwen2-5-vl.ts";
import { Qwen3VisionTower, qwen3VlTextSpec } from "./qwen3-vl.ts";
import { ropeIndex, type RopeIndexConfig } from "./rope-index.ts";

export interface VlmFamily {
  textSpec(hf: HfConfig): DecoderSpec;
  loadTower(store: WeightStore, hf: HfConfig): VisionTower;
  videoFramesSeparate: boolean;
}

export const VLM_FAMILIES: Readonly<Record<string, VlmFamily>> = {
  qwen2_vl: { textSpec: qwen2VlTextSpec, loadTower: (s, hf) => Qwen2VisionTower.load(s, hf), videoFramesSeparate: false },
  qwen2_5_vl: { textSpec: qwen25VlTextSpec, loadTower: (s, hf) => Qwen25VisionTower.load(s, hf), videoFramesSeparate: false },
  qwen3_vl: { textSpec: qwen3VlTextSpec, loadTower: (s, hf) => Qwen3VisionTower.load(s, hf), videoFramesSeparate: true },
};

/** The VLM family of a config: its model_type is one and it has a `vision_config`. */
export function vlmFamily(hf: HfConfig): VlmFamily | null {
  const f = typeof hf.model_type === "string" ? VLM_FAMILIES[hf.model_type] : undefined;
  return f && hf.vision_config && typeof hf.vision_config === "object" ? f : null;
}

/** Images or video frames of one kind, preprocessed: flattened patches and their grids. */
export interface VisionInput {
  kind: "image" | "video";
  /** `[N, C * T * P * P]` */
  pixels: mx.Array;
  grids: Grid[];
}

/** What a prompt with media turns into for the decoder's prefill. */
export interface PreparedPrompt {
  /** `[1, L, D]` */
  inputEmbeds: mx.Array;
  /** `[3, 1, L]` int32 */
  positions: mx.Array;
  /** Added to the cache offset at every decode step. */
  ropeDelta: number;
  deepstack: mx.Array[];
}

/** mlx-vlm / HF names -> ours: `vision_tower.*`, and the text model under `model.*` / `lm_head`. */
export function sanitizeVlmNames(store: WeightStore): void {
  const rules: [string, string][] = [
    ["model.visual.", "vision_tower."], ["visual.", "vision_tower."], ["model.language_model.", "model."],
    ["language_model.model.", "model."], ["language_model.lm_head.", "lm_head."],
  ];
  for (const name of store.names()) {
    const rule = rules.find(([from]) => name.startsWith(from));
    if (rule) store.rename(name, rule[1] + name.slice(rule[0].length));
  }
}

/**
 * What every VLM (Qwen-VL here; Gemma 3 and LLaVA beside it) offers the engine: its text decoder, which
 * runs the prompt's merged embeddings through `ForwardOptions.inputEmbeds` and decodes as a text model.
 */
export interface VisionLanguageModel {
  readonly text: DecoderModel;
}

/** Qwen2-VL, Qwen2.5-VL and Qwen3-VL. */
export class VlmModel implements VisionLanguageModel {
  private constructor(
    readonly text: DecoderModel,
    readonly vision: VisionTower,
    readonly family: VlmFamily,
    readonly tokens: RopeIndexConfig,
  ) {}

  /** Builds the model from a store of its checkpoint (consuming every tensor). */
  static load(store: WeightStore, hf: HfConfig): VlmModel {
    const family = vlmFamily(hf);
    if (!family) throw new ConfigError(`model_type '${String(hf.model_type)}' with a vision_config is not a supported VLM`);
    sanitizeVlmNames(store);
    const spec = family.textSpec(hf);
    sanitizeCommon(store, spec);
    for (const n of store.names()) if (n.startsWith("vision_tower.") && n.endsWith("position_ids")) store.drop(n);
    const vision = family.loadTower(store, hf);
    const text = DecoderModel.load(store, spec);
    const tokens: RopeIndexConfig = {
      imageTokenId: num(hf, "image_token_id", num(hf, "image_token_index", 151655)),
      videoTokenId: num(hf, "video_token_id", num(hf, "video_token_index", 151656)),
      visionStartTokenId: num(hf, "vision_start_token_id", 151652),
      mergeSize: vision.config.mergeSize,
      videoFramesSeparate: family.videoFramesSeparate,
    };
    return new VlmModel(text, vision, family, tokens);
  }

  /** Runs the tower over one input. */
  encode(input: VisionInput): VisionOutput {
    return this.vision.forward(input.pixels, input.grids);
  }

  /**
   * Embeds `tokens` and puts each input's features at its placeholders (images at image tokens, videos at
   * video tokens, in order), with the M-RoPE positions of the prompt.
   */
  prepare(tokens: readonly number[], inputs: readonly VisionInput[], encoded: readonly VisionOutput[]): PreparedPrompt {
    const images = inputs.filter((i) => i.kind === "image").flatMap((i) => i.grids);
    const videos = inputs.filter((i) => i.kind === "video").flatMap((i) => i.grids);
    const { positions, delta } = ropeIndex(tokens, images, videos, this.tokens);
    const L = tokens.length;
    // Row of the feature table each placeholder takes: images first, then videos, each in order.
    const order = [...inputs.keys()].sort((a, b) => Number(inputs[a]!.kind === "video") - Number(inputs[b]!.kind === "video"));
    const counts = { image: 0, video: 0 };
    for (const i of order) counts[inputs[i]!.kind] += encoded[i]!.features.shape[0]!;
    const rows = new Int32Array(L);
    const mask = new Uint8Array(L);
    let img = 0;
    let vid = counts.image;
    for (let p = 0; p < L; p++) {
      if (tokens[p] === this.tokens.imageTokenId) (rows[p] = img++), (mask[p] = 1);
      else if (tokens[p] === this.tokens.videoTokenId) (rows[p] = vid++), (mask[p] = 1);
    }
    if (img !== counts.image || vid !== counts.image + counts.video) {
      throw new RangeError(`the prompt has ${img} image and ${vid - counts.image} video placeholders for ${counts.image} and ${counts.video} features`);
    }
    using tok = mx.array([...tokens], { dtype: "int32", shape: [1, L] });
    using embeds = this.text.embed.forward(tok); // [1, L, D]
    using rowArr = mx.array(Array.from(rows), { dtype: "int32" });
    using maskArr = mx.array(Array.from(mask), { dtype: "bool", shape: [1, L, 1] });
    const scatter = (feats: mx.Array[], base: mx.Array | 0): mx.Array => {
      using table = mx.concatenate(feats, 0);
      using cast = mx.astype(table, embeds.dtype);
      using picked = mx.take(cast, rowArr, 0); // [L, D]
      using p3 = mx.expandDims(picked, [0]);
      return mx.where(maskArr, p3, base);
    };
    const inputEmbeds = counts.image + counts.video > 0 ? scatter(order.map((i) => encoded[i]!.features), embeds) : mx.contiguous(embeds);
    const layers = encoded.find((e) => e.deepstack.length > 0)?.deepstack.length ?? 0;
    const deepstack = Array.from({ length: layers }, (_, k) => scatter(order.map((i) => encoded[i]!.deepstack[k]!), 0));
    const pos = mx.array(positions.flat(), { dtype: "int32", shape: [3, 1, L] });
    return { inputEmbeds, positions: pos, ropeDelta: delta, deepstack };
  }

}

/**
 * The forward options of a prepared prompt for `generate`: each prefill chunk `[start, end)` gets its slice of
 * the embeddings, positions and deepstack features; decode steps shift the cache offset by the rope delta.
 *
 * @example
 *   generate(vlm.text, tokens, { ...opts, inputs: promptInputs(vlm.prepare(tokens, inputs, encoded)) })
 */
export function promptInputs(p: PreparedPrompt): PromptInputs {
  const D = p.inputEmbeds.shape[2]!;
  return {
    prefill(start, end): ForwardOptions {
      const sl = (a: mx.Array) => mx.slice(a, [0, start, 0], [1, end, D]);
      return {
        inputEmbeds: sl(p.inputEmbeds),
        positions: { ids: mx.slice(p.positions, [0, 0, start], [3, 1, end]) },
        deepstack: p.deepstack.map(sl),
      };
    },
    decode: { positions: { shift: p.ropeDelta } },
  };
}

export function disposePrepared(p: PreparedPrompt): void {
  p.inputEmbeds.dispose();
  p.positions.dispose();
  for (const d of p.deepstack) d.dispose();
}
