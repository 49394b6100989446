import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as mx from "../../mlx/index.ts";
import { ConfigError } from "../config.ts";
import { gemmaLlavaFamily, loadGemmaLlavaDir } from "./gemma-llava-load.ts";
import { TINY_IMAGE_TOKEN, tinyConfig, writeTinyVlm } from "./gemma-llava-testing.ts";
import { llavaConfig, LlavaModel } from "./llava.ts";

const dir = mkdtempSync(join(tmpdir(), "llava-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("config: LLaVA 1.5 defaults where the keys are missing", () => {
  const c = llavaConfig({ model_type: "llava", text_config: { model_type: "llama", vocab_size: 32064 }, vision_config: {} });
  expect([c.text.config.hiddenSize, c.text.config.numHiddenLayers, c.text.config.headDim, c.text.config.vocabSize]).toEqual([4096, 32, 128, 32064]);
  expect(c.text.config.tieWordEmbeddings).toBe(false);
  expect([c.vision.imageSize, c.vision.patchSize, c.vision.numHiddenLayers, c.vision.layerNormEps]).toEqual([336, 14, 24, 1e-5]);
  expect([c.imageTokenIndex, c.featureLayer, c.selectStrategy]).toEqual([32000, -2, "default"]);
});

test("config: unsupported towers, text models and strategies are ConfigErrors", () => {
  expect(() => llavaConfig({ ...tinyConfig("llava"), vision_config: { model_type: "siglip_vision_model" } })).toThrow(ConfigError);
  expect(() => llavaConfig({ ...tinyConfig("llava"), vision_feature_select_strategy: "pooled" })).toThrow(ConfigError);
  expect(() => llavaConfig({ ...tinyConfig("llava"), text_config: { model_type: "qwen2" } })).toThrow(/qwen2/);
});

test("detection from config", () => {
  expect(gemmaLlavaFamily({ model_type: "gemma3", vision_config: {} })).toBe("gemma3");
  expect(gemmaLlavaFamily({ model_type: "gemma3" })).toBeNull();
  expect(gemmaLlavaFamily({ model_type: "llava" })).toBe("llava");
  expect(gemmaLlavaFamily({ model_type: "llama" })).toBeNull();
});

test("a tiny folder loads; features come from the second-to-last layer without the class token", async () => {
  writeTinyVlm(dir, "llava", 3);
  const { model } = await loadGemmaLlavaDir(dir);
  expect(model).toBeInstanceOf(LlavaModel);
  const llava = model as LlavaModel;
  expect(llava.tower.layersFor(-2)).toBe(2);
  expect(llava.tower.layersFor(-1)).toBe(3);
  expect(() => llava.tower.layersFor(-5)).toThrow(RangeError);
  using px = mx.uniform(-1, 1, [1, 3, 32, 32]);
  using feats = model.encodeImages(px);
  expect(feats.shape).toEqual([1, 64, 64]);
  // The same hidden states, projected by hand: rows 1.. of layer 2's output.
  using states = llava.tower.forward(px, 2);
  expect(states.shape).toEqual([1, 65, 64]);
  using patches = mx.slice(states, [0, 1, 0], [1, 65, 64]);
  using byHand = llava.projector.forward(patches);
  using diff = mx.abs(mx.subtract(byHand, feats));
  expect(mx.max(diff).item()).toBe(0);
  const tokens = [1, 10, ...Array(64).fill(TINY_IMAGE_TOKEN), 20];
  using emb = model.inputEmbeds(tokens, feats);
  expect(emb.toList().slice(2 * 64, 3 * 64)).toEqual(feats.toList().slice(0, 64));
});

test("vision_feature_select_strategy 'full' keeps the class token", async () => {
  const full = join(dir, "full");
  writeTinyVlm(full, "llava", 3);
  writeFileSync(join(full, "config.json"), JSON.stringify({ ...tinyConfig("llava"), vision_feature_select_strategy: "full" }));
  const { model } = await loadGemmaLlavaDir(full);
  using px = mx.uniform(-1, 1, [2, 3, 32, 32]);
  using feats = model.encodeImages(px);
  expect(feats.shape).toEqual([2, 65, 64]);
});

test("a 4-bit folder loads and encodes like the dense one up to quantization error", async () => {
  const q4 = join(dir, "q4");
  writeTinyVlm(q4, "llava", 3, 4);
  const { model } = await loadGemmaLlavaDir(q4);
  const { model: dense } = await loadGemmaLlavaDir(dir);
  using px = mx.uniform(-1, 1, [1, 3, 32, 32]);
  using a = model.encodeImages(px);
  using b = dense.encodeImages(px);
  expect(a.shape).toEqual([1, 64, 64]);
  using diff = mx.abs(mx.subtract(a, b));
  using scale = mx.abs(b);
  // Quantized, so not equal, but close relative to the features' size.
  expect(mx.max(diff).item()).toBeGreaterThan(0);
  expect(mx.mean(diff).item()).toBeLessThan(0.25 * mx.mean(scale).item());
});
