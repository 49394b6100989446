import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { pilResize } from "./pil-resample.ts";
import { loadVisionProcessor } from "./load-processor.ts";
import { selectBestResolution } from "./llava-processor.ts";
import { expandPlaceholders, placeholderRanges, placeholderRuns } from "./processor.ts";
import { smartResize } from "./qwen-vl-processor.ts";

const FIXTURES = join(import.meta.dir, "../../../scripts/parity/vlm-preprocess-fixtures");

function solid(width: number, height: number, value: number) {
  return { width, height, data: new Uint8Array(width * height * 3).fill(value) };
}

describe("Qwen-VL", () => {
  test("smart_resize matches mlx-vlm's examples", () => {
    expect(smartResize(480, 640, 28, 3136, 12845056)).toEqual([476, 644]);
    expect(smartResize(480, 640, 32, 65536, 16777216)).toEqual([480, 640]);
    expect(smartResize(30, 40, 28, 3136, 12845056)).toEqual([56, 84]);
    expect(() => smartResize(10, 2100, 28, 3136, 12845056)).toThrow(/aspect ratio/);
  });

  test("an image becomes grid_thw patches of 3·2·14·14 and its token count", () => {
    const qwen = loadVisionProcessor(join(FIXTURES, "qwen2_5_vl"))!;
    const out = qwen.processImage(solid(640, 480, 255));
    expect(out.gridThw).toEqual([1, 34, 46]);
    expect(out.numTokens).toBe(391);
    expect(out.pixelValues.shape).toEqual([34 * 46, 1176]);
    // white, CLIP-normalized: (1 - mean) / std per channel
    expect(out.pixelValues.data[0]).toBeCloseTo((1 - 0.48145466) / 0.26862954, 5);
    expect(out.pixelValues.data[1175]).toBeCloseTo((1 - 0.40821073) / 0.27577711, 5);
  });

  test("a video's frame count is padded to the temporal patch", () => {
    const qwen = loadVisionProcessor(join(FIXTURES, "qwen3_vl"))!;
    const out = qwen.processVideo!([solid(64, 64, 0), solid(64, 64, 0), solid(64, 64, 0)]);
    expect(out.gridThw![0]).toBe(2);
    expect(out.kind).toBe("video");
  });
});

describe("Gemma 3 and LLaVA", () => {
  test("Gemma 3 squashes to 896x896 and takes 256 tokens", () => {
    const gemma = loadVisionProcessor(join(FIXTURES, "gemma3"))!;
    const out = gemma.processImage(solid(100, 50, 0));
    expect(out.pixelValues.shape).toEqual([1, 3, 896, 896]);
    expect(out.pixelValues.data[0]).toBe(-1);
    expect(out.numTokens).toBe(256);
  });

  test("LLaVA-NeXT picks the best-fit pinpoint and counts the unpadded features", () => {
    const pins: [number, number][] = [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]];
    expect(selectBestResolution(480, 640, pins)).toEqual([672, 672]);
    expect(selectBestResolution(200, 900, pins)).toEqual([336, 1008]);
    const next = loadVisionProcessor(join(FIXTURES, "llava_next"))!;
    const out = next.processImage(solid(640, 480, 128));
    expect(out.pixelValues.shape).toEqual([5, 3, 336, 336]);
    expect(out.numTokens).toBe(2340);
    expect(loadVisionProcessor(join(FIXTURES, "llava"))!.processImage(solid(640, 480, 1)).numTokens).toBe(576);
  });
});

describe("prompt side", () => {
  test("markers expand in order and ranges find each item's tokens", () => {
    const qwen = loadVisionProcessor(join(FIXTURES, "qwen2_5_vl"))!;
    const text = "a<|vision_start|><|image_pad|><|vision_end|>b<|vision_start|><|video_pad|><|vision_end|>";
    const out = expandPlaceholders(text, [{ kind: "image", numTokens: 2 }, { kind: "video", numTokens: 3 }], qwen);
    expect(out).toBe("a<|vision_start|><|image_pad|><|image_pad|><|vision_end|>b<|vision_start|><|video_pad|><|video_pad|><|video_pad|><|vision_end|>");
    expect(() => expandPlaceholders(text, [{ kind: "image", numTokens: 2 }], qwen)).toThrow();
    expect(placeholderRanges([1, 9, 9, 2, 9, 9, 9], 9, [[2], [3]])).toEqual([[1, 3], [4, 7]]);
    expect(() => placeholderRanges([9, 1, 9], 9, [[2]])).toThrow(/contiguous/);
    expect(() => placeholderRanges([9], 9, [[2]])).toThrow(/holds 1/);
  });

  test("a Qwen3-VL video is one timestamped block per temporal group; Qwen2.5-VL's stays one run of pads", () => {
    const qwen3 = loadVisionProcessor(join(FIXTURES, "qwen3_vl"))!;
    // 4 frames without source timing: spaced at the config's fps 2, groups at (0 + 0.5) / 2 and (1 + 1.5) / 2.
    const video = qwen3.processVideo!([0, 1, 2, 3].map(() => solid(64, 64, 9)));
    expect(video.gridThw).toEqual([2, 4, 4]);
    expect(video.timestamps).toEqual([0.25, 1.25]);
    const text = "a<|vision_start|><|video_pad|><|vision_end|>b";
    const block = (t: string) => `<${t} seconds><|vision_start|>${"<|video_pad|>".repeat(4)}<|vision_end|>`;
    // Python's "{:.1f}" rounds the exact ties 0.25 and 1.25 to even.
    expect(expandPlaceholders(text, [video], qwen3)).toBe(`a${block("0.2")}${block("1.2")}b`);
    expect(placeholderRuns(video)).toEqual([4, 4]);
    // Source indices at the source's rate: [0, 7] and [14, 21] at 7 fps, the last index repeated to fill a group.
    const timed = qwen3.processVideo!([0, 1, 2].map(() => solid(64, 64, 9)), { sourceFps: 7, indices: [0, 7, 14] });
    expect(timed.timestamps).toEqual([0.5, 2]);
    expect(() => qwen3.processVideo!([solid(64, 64, 9)], { sourceFps: 7, indices: [0, 7] })).toThrow(/2 frame indices for 1 frames/);
    // The range covers both runs and the text between them; a broken run is refused.
    const [VS, VE, PAD, T] = [1, 2, 9, 5];
    const ids = [7, T, VS, PAD, PAD, VE, T, T, VS, PAD, PAD, VE, 8];
    expect(placeholderRanges(ids, PAD, [[2, 2]])).toEqual([[3, 11]]);
    expect(() => placeholderRanges([PAD, T, PAD, PAD, T, PAD], PAD, [[2, 2]])).toThrow(/contiguous/);
    const qwen25 = loadVisionProcessor(join(FIXTURES, "qwen2_5_vl"))!;
    const v25 = qwen25.processVideo!([0, 1, 2, 3].map(() => solid(56, 56, 9)), { sourceFps: 7, indices: [0, 7, 14, 21] });
    expect(v25.timestamps).toBeUndefined();
    expect(expandPlaceholders(text, [v25], qwen25)).toBe(`a<|vision_start|>${"<|video_pad|>".repeat(v25.numTokens)}<|vision_end|>b`);
    expect(placeholderRuns(v25)).toEqual([v25.numTokens]);
  });

  test("Gemma 3's expansion wraps the soft tokens", () => {
    const gemma = loadVisionProcessor(join(FIXTURES, "gemma3"))!;
    expect(expandPlaceholders("x<start_of_image>y", [{ kind: "image", numTokens: 2 }], gemma)).toBe(
      "x\n\n<start_of_image><image_soft_token><image_soft_token><end_of_image>\n\ny",
    );
  });

  test("resampling to the same size copies; a uniform image stays uniform", () => {
    const img = solid(7, 5, 200);
    expect(pilResize(img, 7, 5, "bicubic").data).toEqual(img.data);
    expect(new Set(pilResize(img, 13, 3, "bicubic").data)).toEqual(new Set([200]));
  });
});
