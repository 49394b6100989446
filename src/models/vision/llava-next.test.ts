/**
 * LLaVA-NeXT's any-resolution packing, checked against hand-computed values (there is no oracle: mlx-vlm 0.7.10
 * does not pack as transformers does, and there is no torch here): tile grids, unpadded regions, feature counts
 * equal to the processor's token counts, and the order of rows with features that encode their tile and patch.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as mx from "../../mlx/index.ts";
import { ConfigError } from "../config.ts";
import { loadModelDir } from "../load.ts";
import { TINY_PINPOINTS, TINY_TEXT, TINY_VISION, tinyConfig, writeTinyVlm } from "./gemma-llava-testing.ts";
import { LlavaModel } from "./llava.ts";
import { LlavaProcessor } from "./llava-processor.ts";
import { anyresGrid, DEFAULT_GRID_PINPOINTS, llavaNextConfig, LlavaNextModel, packImageFeatures, unpadRegion } from "./llava-next.ts";

const CLIP_NORM = { rescaleFactor: 1 / 255, mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711], rescaleIn: "float64" } as const;

function processor(tile: number, patch: number, pins: [number, number][]): LlavaProcessor {
  return new LlavaProcessor("llava_next", {
    shortestEdge: tile, cropSize: tile, patchSize: patch, norm: { ...CLIP_NORM, mean: [...CLIP_NORM.mean], std: [...CLIP_NORM.std] },
    gridPinpoints: pins, numAdditionalImageTokens: 1, dropsClsToken: true,
  });
}

/** A deterministic RGB image of `width x height`. */
function image(width: number, height: number, seed: number) {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + seed * 17 + (i >> 5)) & 255;
  return { width, height, data };
}

/** Model-side feature count from the grid and the unpadded region: base tile + rows of (width + newline). */
function featureCount(size: [number, number], pins: [number, number][], tile: number, side: number): number {
  const [rows, cols] = anyresGrid(size, pins, tile);
  const [r0, r1, c0, c1] = unpadRegion(size, rows * side, cols * side);
  return side * side + (r1 - r0) * (c1 - c0 + 1);
}

describe("LLaVA-NeXT tiling, by hand", () => {
  test("tile grids of the default pinpoints at 336", () => {
    // [height, width] -> [rows, cols]: the pinpoint with the most effective pixels, then the least waste.
    expect(anyresGrid([400, 500], DEFAULT_GRID_PINPOINTS, 336)).toEqual([2, 2]);
    expect(anyresGrid([480, 640], DEFAULT_GRID_PINPOINTS, 336)).toEqual([2, 2]);
    expect(anyresGrid([200, 1000], DEFAULT_GRID_PINPOINTS, 336)).toEqual([1, 3]);
    expect(anyresGrid([1000, 200], DEFAULT_GRID_PINPOINTS, 336)).toEqual([3, 1]);
    // Every pinpoint holds all 10,000 pixels; the least waste is 336x672, first of the tie with 672x336.
    expect(anyresGrid([100, 100], DEFAULT_GRID_PINPOINTS, 336)).toEqual([1, 2]);
    expect(anyresGrid([336, 672], DEFAULT_GRID_PINPOINTS, 336)).toEqual([1, 2]);
  });

  test("unpadded regions of the 24-patch-per-tile grid", () => {
    // 500 wide, 400 high on 48x48: height 400·48/500 = 38.4 -> 38, padding (48 - 38) / 2 = 5 rows each side.
    expect(unpadRegion([400, 500], 48, 48)).toEqual([5, 43, 0, 48]);
    // 640x480 on 48x48: 36 rows, 6 off each side.
    expect(unpadRegion([480, 640], 48, 48)).toEqual([6, 42, 0, 48]);
    // 1000 wide, 200 high on 24x72: height 14.4 -> 14, 5 off each side.
    expect(unpadRegion([200, 1000], 24, 72)).toEqual([5, 19, 0, 72]);
    // 200 wide, 1000 high on 72x24: width 14, 5 columns off each side.
    expect(unpadRegion([1000, 200], 72, 24)).toEqual([0, 72, 5, 19]);
    // A square on 24x48: width 24, 12 columns off each side.
    expect(unpadRegion([100, 100], 24, 48)).toEqual([0, 24, 12, 36]);
  });

  test("feature counts equal the processor's token counts (real 336/14 shapes)", () => {
    const p = processor(336, 14, DEFAULT_GRID_PINPOINTS);
    // 576 base + unpadded rows x (width + newline): 38·49, 36·49, 14·73, 72·15, 24·25.
    const want: [[number, number], number][] = [[[400, 500], 2438], [[480, 640], 2340], [[200, 1000], 1598], [[1000, 200], 1656], [[100, 100], 1176]];
    for (const [size, n] of want) {
      expect(featureCount(size, DEFAULT_GRID_PINPOINTS, 336, 24)).toBe(n);
      expect(p.imageTokens(size[0], size[1])).toBe(n);
    }
  });

  test("packing order, with features that encode their tile and patch", () => {
    // side 2, grid 1x2; feature = 10·tile + patch; the base image is tile 0.
    using feats = mx.array([0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23], { dtype: "float32", shape: [3, 4, 1] });
    using newline = mx.array([-1], { dtype: "float32" });
    // The 2x4 grid is [[10, 11, 20, 21], [12, 13, 22, 23]]; a square image keeps its middle 2 columns.
    using packed = packImageFeatures(feats, [10, 10], [1, 2], newline);
    expect(packed.shape).toEqual([1, 10, 1]);
    expect(packed.toList()).toEqual([0, 1, 2, 3, 11, 20, -1, 13, 22, -1]);
    // A wide image, 8 wide and 2 high: height 2·4/8 = 1, padding floor((2 - 1) / 2) = 0, so both rows stay.
    using wide = packImageFeatures(feats, [2, 8], [1, 2], newline);
    expect(wide.toList()).toEqual([0, 1, 2, 3, 10, 11, 20, 21, -1, 12, 13, 22, 23, -1]);
    expect(() => packImageFeatures(feats, [10, 10], [2, 2], newline)).toThrow(/5 tiles/);
  });
});

describe("LLaVA-NeXT model (tiny random weights)", () => {
  const dir = mkdtempSync(join(tmpdir(), "llava-next-"));
  let model: LlavaNextModel;
  beforeAll(async () => {
    writeTinyVlm(dir, "llava_next", 4);
    const loaded = await loadModelDir(dir);
    expect(loaded.vlm).toBeInstanceOf(LlavaNextModel);
    expect(loaded.model).toBe(loaded.vlm!.text);
    model = loaded.vlm as LlavaNextModel;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("config: pinpoints from config.json, 'full' and bad pinpoints refused", () => {
    const c = llavaNextConfig(tinyConfig("llava_next"));
    expect(c.gridPinpoints).toEqual(TINY_PINPOINTS);
    // transformers' pinpoints and mlx-vlm's Mistral text defaults where the config is silent.
    const bare = llavaNextConfig({ model_type: "llava_next", text_config: { model_type: "mistral" }, vision_config: {} });
    expect(bare.gridPinpoints).toEqual([[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]);
    expect([bare.text.config.intermediateSize, bare.text.config.numKeyValueHeads, bare.text.config.vocabSize]).toEqual([14336, 8, 32064]);
    expect(() => llavaNextConfig({ ...tinyConfig("llava_next"), vision_feature_select_strategy: "full" })).toThrow(ConfigError);
    expect(() => llavaNextConfig({ ...tinyConfig("llava_next"), image_grid_pinpoints: [[32, 50]] })).toThrow(/multiple/);
    expect(() => llavaNextConfig({ ...tinyConfig("llava_next"), image_grid_pinpoints: "big" })).toThrow(ConfigError);
  });

  test("features per image equal the processor's token count, for several sizes and aspect ratios", () => {
    const p = processor(TINY_VISION.image_size, TINY_VISION.patch_size, TINY_PINPOINTS);
    for (const [w, h] of [[40, 30], [30, 40], [100, 20], [20, 100], [16, 16], [64, 64], [57, 33]] as const) {
      const out = p.processImage(image(w, h, w + h));
      using px = mx.array(out.pixelValues.data, { dtype: "float32", shape: out.pixelValues.shape });
      using feats = model.encodeImages(px, out.imageSize);
      expect(feats.shape).toEqual([1, out.numTokens, TINY_TEXT.hidden_size]);
    }
  });

  test("rows come from the right tile and patch, each grid row closed by image_newline", () => {
    const p = processor(TINY_VISION.image_size, TINY_VISION.patch_size, TINY_PINPOINTS);
    const size: [number, number] = [60, 80]; // 2x2 grid (64x64): 16x16 patches, height 60·16/80 = 12, rows 2..14 kept
    const out = p.processImage(image(size[1], size[0], 7));
    expect(out.pixelValues.shape).toEqual([5, 3, 32, 32]);
    using px = mx.array(out.pixelValues.data, { dtype: "float32", shape: out.pixelValues.shape });
    using packed = model.encodeImages(px, size);
    // Each tile alone through LLaVA 1.5's path (tower, CLS dropped, projector): [5, 64, D].
    const D = TINY_TEXT.hidden_size, side = 8, P = side * side;
    using perTile = mx.concatenate(Array.from({ length: 5 }, (_, t) => {
      using one = mx.slice(px, [t, 0, 0, 0], [t + 1, 3, 32, 32]);
      return LlavaModel.prototype.encodeImages.call(model, one);
    }), 0);
    const tiles = perTile.toList() as number[];
    const row = (t: number, p: number) => tiles.slice((t * P + p) * D, (t * P + p + 1) * D);
    const newline = model.imageNewline.toList() as number[];
    expect(unpadRegion(size, 16, 16)).toEqual([2, 14, 0, 16]);
    const want: number[][] = [];
    for (let p = 0; p < P; p++) want.push(row(0, p));
    for (let y = 2; y < 14; y++) {
      for (let x = 0; x < 16; x++) want.push(row(1 + Math.floor(y / side) * 2 + Math.floor(x / side), (y % side) * side + (x % side)));
      want.push(newline);
    }
    expect(want.length).toBe(out.numTokens);
    const got = packed.toList() as number[];
    let worst = 0;
    want.flat().forEach((v, i) => (worst = Math.max(worst, Math.abs(v - got[i]!))));
    expect(worst).toBeLessThan(1e-5);
  });

  test("an image without its size is refused", () => {
    using px = mx.zeros([5, 3, 32, 32], "float32");
    expect(() => model.encodeImages(px)).toThrow(/height, width/);
  });

  test("a 4-bit folder loads", async () => {
    const q4 = join(dir, "q4");
    writeTinyVlm(q4, "llava_next", 4, 4);
    const loaded = await loadModelDir(q4);
    expect(loaded.vlm).toBeInstanceOf(LlavaNextModel);
    using px = mx.zeros([3, 3, 32, 32], "float32");
    using feats = (loaded.vlm as LlavaNextModel).encodeImages(px, [20, 50]); // 1x2 grid
    expect(feats.shape[1]).toBe(featureCount([20, 50], TINY_PINPOINTS, 32, 8));
  });
});
