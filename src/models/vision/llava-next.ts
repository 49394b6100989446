/**
 * LLaVA-NeXT (LLaVA 1.6, any resolution): LLaVA 1.5's CLIP tower, projector and decoder, run over the base
 * image squashed to one tile plus the tiles of the best-fit grid resolution, then packed as transformers'
 * `LlavaNextForConditionalGeneration.pack_image_features` packs them: the tiles' patch grids re-assembled into
 * one grid, the zero padding the processor added cropped off (`unpad_image`), the learned `image_newline`
 * appended after every row, and the base image's features first.
 *
 * We follow transformers here, not mlx-vlm 0.7.10: mlx-vlm's llava_next runs the tower over the tiles but then
 * appends a whole newline "tile" and merges one tile per `<image>` token, so it uses a handful of the
 * `<image>` tokens its own processor expands (576 + rows·(cols+1) of them) and drops the rest. transformers'
 * packing is what the checkpoints were trained with, and its feature count equals the processor's token count
 * (`LlavaProcessor.imageTokens`), which the engine's placeholder ranges rely on.
 */
import * as mx from "../../mlx/index.ts";
import type { WeightStore } from "../../nn/weights.ts";
import { ConfigError, type HfConfig } from "../config.ts";
import { llavaConfig, type LlavaConfig, LlavaModel, loadParts } from "./llava.ts";
import { selectBestResolution } from "./llava-processor.ts";

/** transformers' LlavaNextConfig default `image_grid_pinpoints` (`[height, width]`). */
export const DEFAULT_GRID_PINPOINTS: [number, number][] = [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]];

/** mlx-vlm's llava_next text defaults (Mistral 7B), where they differ from LLaVA 1.5's Llama 2. */
const NEXT_TEXT_DEFAULTS = { intermediate_size: 14336, num_key_value_heads: 8, rope_theta: 1000000, vocab_size: 32064, rms_norm_eps: 1e-5 };

export interface LlavaNextConfig extends LlavaConfig {
  /** `image_grid_pinpoints` as `[height, width]`. */
  gridPinpoints: [number, number][];
}

function pinpoints(hf: HfConfig): [number, number][] {
  const raw = hf.image_grid_pinpoints;
  if (raw === undefined || raw === null) return DEFAULT_GRID_PINPOINTS;
  const ok = Array.isArray(raw) && raw.length > 0
    && raw.every((p) => Array.isArray(p) && p.length === 2 && p.every((x) => Number.isInteger(x) && x > 0));
  if (!ok) throw new ConfigError("config.json: 'image_grid_pinpoints' must be a list of [height, width] pairs");
  return raw as [number, number][];
}

export function llavaNextConfig(hf: HfConfig): LlavaNextConfig {
  const base = llavaConfig({ ...hf, text_config: { ...NEXT_TEXT_DEFAULTS, ...((hf.text_config ?? {}) as HfConfig) } });
  // transformers views each tile's features as a side x side grid, which the class token would break.
  if (base.selectStrategy !== "default") throw new ConfigError("LLaVA-NeXT supports vision_feature_select_strategy 'default' only");
  const gridPinpoints = pinpoints(hf);
  const tile = base.vision.imageSize;
  if (gridPinpoints.some(([h, w]) => h % tile !== 0 || w % tile !== 0)) {
    throw new ConfigError(`config.json: every image_grid_pinpoints entry must be a multiple of the ${tile}-pixel tile`);
  }
  return { ...base, gridPinpoints };
}

/**
 * The tile grid `[rows, cols]` of an image of `[height, width]`: the best-fit pinpoint (as the processor picks
 * it) over the tile size (transformers' `get_anyres_image_grid_shape`).
 *
 * @example
 *   anyresGrid([400, 500], DEFAULT_GRID_PINPOINTS, 336); // [2, 2]
 */
export function anyresGrid([height, width]: [number, number], gridPinpoints: readonly [number, number][], tile: number): [number, number] {
  const [h, w] = selectBestResolution(height, width, gridPinpoints);
  return [Math.trunc(h / tile), Math.trunc(w / tile)];
}

/** Python's `int(round(x, 7))`. */
function roundTo7(x: number): number {
  return Math.trunc(Math.round(x * 1e7) / 1e7);
}

/**
 * The part of a `curH x curW` feature grid that holds the image and not the processor's padding, as
 * `[rowStart, rowEnd, colStart, colEnd]` (transformers' `unpad_image`).
 *
 * @example
 *   unpadRegion([400, 500], 48, 48); // [5, 43, 0, 48]: 38 rows of 48
 */
export function unpadRegion([height, width]: [number, number], curH: number, curW: number): [number, number, number, number] {
  if (width / height > curW / curH) {
    const pad = Math.floor((curH - roundTo7(height * (curW / width))) / 2);
    return [pad, curH - pad, 0, curW];
  }
  const pad = Math.floor((curW - roundTo7(width * (curH / height))) / 2);
  return [0, curH, pad, curW - pad];
}

/**
 * feats: `[1 + rows·cols, side², D]` (the base image, then the tiles row by row, each row-major) ->
 * `[1, side² + h·(w + 1), D]`: the base image's rows, then the unpadded `h x w` grid row by row, each row
 * followed by `newline` (`[D]`).
 */
export function packImageFeatures(feats: mx.Array, imageSize: [number, number], [rows, cols]: [number, number], newline: mx.Array): mx.Array {
  const [N, P, D] = feats.shape as [number, number, number];
  const side = Math.round(Math.sqrt(P));
  if (side * side !== P) throw new RangeError(`LLaVA-NeXT tile features must be a square grid, got ${P} per tile`);
  if (N !== 1 + rows * cols) throw new RangeError(`a ${rows}x${cols} grid needs ${1 + rows * cols} tiles (base image first), got ${N}`);
  using base = mx.slice(feats, [0, 0, 0], [1, P, D]);
  using tiles = mx.slice(feats, [1, 0, 0], [N, P, D]);
  using five = mx.reshape(tiles, [rows, cols, side, side, D]);
  // [rows, side, cols, side, D]: row r·side + i of the grid is row i of tile row r, across its tiles.
  using ordered = mx.transpose(five, [0, 2, 1, 3, 4]);
  using grid = mx.reshape(ordered, [rows * side, cols * side, D]);
  const [r0, r1, c0, c1] = unpadRegion(imageSize, rows * side, cols * side);
  using kept = mx.slice(grid, [r0, c0, 0], [r1, c1, D]); // [h, w, D]
  const h = r1 - r0, w = c1 - c0;
  using nl = mx.astype(newline, feats.dtype);
  using nl3 = mx.reshape(nl, [1, 1, D]);
  using nlRows = mx.broadcastTo(nl3, [h, 1, D]);
  using withNl = mx.concatenate([kept, nlRows], 1); // [h, w + 1, D]
  using flat = mx.reshape(withNl, [1, h * (w + 1), D]);
  return mx.concatenate([base, flat], 1);
}

export class LlavaNextModel extends LlavaModel {
  protected constructor(
    readonly nextConfig: LlavaNextConfig,
    parts: ReturnType<typeof loadParts>,
    /** `[textHidden]`, the `image_newline` parameter. */
    readonly imageNewline: mx.Array,
  ) {
    super(nextConfig, ...parts);
  }

  static loadNext(store: WeightStore, c: LlavaNextConfig): LlavaNextModel {
    const newline = store.get("image_newline", [c.text.config.hiddenSize]);
    const parts = loadParts(store, c);
    store.finish();
    return new LlavaNextModel(c, parts, newline);
  }

  /**
   * One image: pixels `[1 + tiles, 3, S, S]` as `LlavaProcessor` (llava_next) writes them and its original
   * `[height, width]` -> `[1, T, textHidden]`, `T` equal to the processor's `numTokens`.
   */
  override encodeImages(pixels: mx.Array, imageSize?: [number, number]): mx.Array {
    if (!imageSize) throw new RangeError("LLaVA-NeXT needs each image's original [height, width] (image_sizes)");
    const grid = anyresGrid(imageSize, this.nextConfig.gridPinpoints, this.nextConfig.vision.imageSize);
    using feats = super.encodeImages(pixels); // [1 + tiles, side², D]
    return packImageFeatures(feats, imageSize, grid, this.imageNewline);
  }
}
