/**
 * The real widths of the benchmark's subjects, from the published configs of Qwen/Qwen2.5-VL-3B-Instruct and
 * Qwen/Qwen3-VL-4B-Instruct (as mlx-community converts them), with the depths made a parameter so a 2-core CPU
 * can run them. Random weights; the real Qwen tokenizer (vocabulary 151936).
 */
import type { QwenVlArch, QwenVlShape } from "../../scripts/fixtures/vlm-qwen.ts";

/**
 * Qwen2.5-VL-3B (text 2048 wide, 16 heads / 2 KV, MLP 11008; ViT 1280 wide, 16 heads, MLP 3420, window 112,
 * full attention in the last block of every 8) or Qwen3-VL-4B (text 2560 wide, 32 heads / 8 KV, MLP 9728;
 * ViT 1024 wide, 16 heads, MLP 4096, 2304 position embeddings, deepstack after 1/4, 1/2, 3/4 of the tower),
 * with `textLayers` decoder layers and `visionLayers` tower blocks ("full": 32 / 24).
 *
 * @example
 *   realShape("qwen2_5_vl", 4, 4).vision.fullAttBlocks; // [3]
 */
export function realShape(arch: QwenVlArch, textLayers: number, visionLayers: number | "full"): QwenVlShape {
  if (arch === "qwen2_5_vl") {
    const depth = visionLayers === "full" ? 32 : visionLayers;
    const every = Math.min(8, depth);
    return {
      text: { hidden: 2048, layers: textLayers, heads: 16, kvHeads: 2, headDim: 128, inter: 11008, mropeSection: [16, 24, 24] },
      vision: { dims: 1280, heads: 16, mlp: 3420, depth, windowSize: 112, posEmbeddings: 0, deepstack: [],
        fullAttBlocks: Array.from({ length: depth }, (_, i) => i).filter((i) => (i + 1) % every === 0) },
      pixels: [56 * 56, 28 * 28 * 16384],
    };
  }
  if (arch === "qwen3_vl") {
    const depth = visionLayers === "full" ? 24 : visionLayers;
    const deepstack = [...new Set([1, 2, 3].map((q) => Math.max(0, Math.round((q * depth) / 4) - 1)))];
    return {
      text: { hidden: 2560, layers: textLayers, heads: 32, kvHeads: 8, headDim: 128, inter: 9728, mropeSection: [24, 20, 20] },
      vision: { dims: 1024, heads: 16, mlp: 4096, depth, windowSize: 0, fullAttBlocks: [], posEmbeddings: 2304, deepstack },
      pixels: [65536, 16777216],
    };
  }
  throw new Error(`bench/vlm has no real shape for ${arch}`);
}
