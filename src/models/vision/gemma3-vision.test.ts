import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as mx from "../../mlx/index.ts";
import { RMSNorm } from "../../nn/norm.ts";
import { ConfigError } from "../config.ts";
import { loadGemmaLlavaDir } from "./gemma-llava-load.ts";
import { TINY_IMAGE_TOKEN, tinyConfig, writeTinyVlm } from "./gemma-llava-testing.ts";
import { Gemma3Projector, gemma3VisionConfig, Gemma3VisionModel } from "./gemma3-vision.ts";

const dir = mkdtempSync(join(tmpdir(), "gemma3-vision-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("config: Google's sparse text_config gets mlx-vlm's defaults", () => {
  const c = gemma3VisionConfig({
    model_type: "gemma3",
    text_config: { hidden_size: 2560, intermediate_size: 10240, model_type: "gemma3_text", num_hidden_layers: 34, sliding_window: 1024 },
    vision_config: { hidden_size: 1152, image_size: 896, intermediate_size: 4304, model_type: "siglip_vision_model", num_attention_heads: 16,
      num_hidden_layers: 27, patch_size: 14 },
  });
  const t = c.text.config;
  expect([t.numAttentionHeads, t.numKeyValueHeads, t.headDim, t.vocabSize]).toEqual([8, 4, 256, 262208]);
  expect(t.layerTypes.slice(0, 6)).toEqual([...Array(5).fill("sliding_attention"), "full_attention"]);
  expect([c.imageTokenIndex, c.mmTokensPerImage, c.featureScaleHidden]).toEqual([262144, 256, 2048]);
  expect(c.vision.imageSize / c.vision.patchSize).toBe(64);
});

test("config: mm_tokens_per_image must pool the patch grid evenly", () => {
  const hf = tinyConfig("gemma3") as { text_config: Record<string, unknown> };
  hf.text_config.mm_tokens_per_image = 9; // 3 x 3 does not divide 8 patches per side
  expect(() => gemma3VisionConfig(hf)).toThrow(ConfigError);
  expect(() => gemma3VisionConfig({ model_type: "gemma3", text_config: {} })).toThrow(/vision_config/);
});

test("projector: 2x2 average pool, (1 + w) RMSNorm, then the projection", () => {
  // 4x4 patches of 2 dims -> 2x2 tokens; the norm's w = 0 (so 1 + w = 1), projection = identity.
  const x: number[] = [];
  for (let i = 0; i < 16; i++) x.push(i, 1);
  using xs = mx.array(x, { shape: [1, 16, 2], dtype: "float32" });
  const proj = new Gemma3Projector(new RMSNorm(mx.ones([2]), 1e-6), mx.array([[1, 0], [0, 1]], { dtype: "float32" }), 4, 2);
  using y = proj.forward(xs);
  expect(y.shape).toEqual([1, 4, 2]);
  // Token 0 pools patches 0, 1, 4, 5 -> (2.5, 1); RMS = sqrt((6.25 + 1) / 2).
  const rms = Math.sqrt((2.5 ** 2 + 1) / 2);
  const got = y.toList();
  expect(got[0]).toBeCloseTo(2.5 / rms, 5);
  expect(got[1]).toBeCloseTo(1 / rms, 5);
  // Token 3 pools patches 10, 11, 14, 15 -> 12.5.
  expect(got[6]).toBeCloseTo(12.5 / Math.sqrt((12.5 ** 2 + 1) / 2), 5);
});

test("a tiny mlx-vlm folder loads; image features land at image tokens scaled by 1/sqrt(2048)", async () => {
  writeTinyVlm(dir, "gemma3", 7);
  const { model, family } = await loadGemmaLlavaDir(dir);
  expect(family).toBe("gemma3");
  expect(model).toBeInstanceOf(Gemma3VisionModel);
  using px = mx.uniform(-1, 1, [1, 3, 32, 32]);
  using feats = model.encodeImages(px);
  expect(feats.shape).toEqual([1, 16, 64]);
  const tokens = [2, 10, 298, ...Array(16).fill(TINY_IMAGE_TOKEN), 299, 30];
  using emb = model.inputEmbeds(tokens, feats);
  const rows = emb.toList();
  const f = feats.toList();
  expect(rows[3 * 64 + 5]).toBeCloseTo(f[5]! / Math.sqrt(2048), 6);
  using textOnly = model.inputEmbeds([10], null);
  expect(rows.slice(64, 128)).toEqual(textOnly.toList());
  expect(() => model.inputEmbeds(tokens.slice(0, 10), feats)).toThrow(RangeError);
  using ids = mx.array([tokens], { dtype: "int32" });
  using logits = model.text.forward(ids, model.text.makeCache(), { inputEmbeds: emb, lastOnly: true });
  expect(logits.shape).toEqual([1, 1, 512]);
  expect(logits.toList().every(Number.isFinite)).toBe(true);
});

test("a pixel tensor of the wrong size is refused with the expected shape", async () => {
  const { model } = await loadGemmaLlavaDir(dir);
  using px = mx.zeros([1, 3, 28, 28]);
  expect(() => model.encodeImages(px)).toThrow(/\[B, 3, 32, 32\]/);
});
