import { describe, expect, test } from "bun:test";
import { qwenVlConfig, qwenVlTensors } from "../../scripts/fixtures/vlm-qwen.ts";
import { median, medianOf, ratios, renderVlmMarkdown, type SideResult } from "./report.ts";
import { realShape } from "./shapes.ts";

const run = (encode: number, ttft: number, tps: number): SideResult => ({ side: "x", prompt_tokens: 84, media_tokens: 64, generated: 8,
  encode_ms: encode, ttft_ms: ttft, decode_tps: tps, peak_bytes: 2 ** 30 });

describe("bench/vlm report", () => {
  test("medians and ratios (>= 1.0 means ours is as fast or faster)", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    const ours = medianOf([run(100, 200, 10), run(120, 260, 12), run(90, 210, 11)]);
    expect(ours).toEqual({ encodeMs: 100, ttftMs: 210, decodeTps: 11, peakBytes: 2 ** 30 });
    const theirs = medianOf([run(150, 300, 5.5)]);
    expect(ratios({ ours, theirs })).toEqual({ encoder: 1.5, decode: 2, ttft: 300 / 210 });
  });

  test("markdown row", () => {
    const ours = medianOf([run(100, 200, 10)]);
    const theirs = medianOf([run(150, 300, 5)]);
    const md = renderVlmMarkdown({ backend: "cpu", image: "224x224", maxTokens: 8, rounds: 1, textLayers: 2, visionLayers: 2, python: "0.7.10 0.32.4" },
      [{ arch: "qwen2_5_vl", precision: "fp32", promptTokens: 84, mediaTokens: 64, ours, theirs, runs: { ours: [], theirs: [] } }]);
    expect(md.split("\n").at(-1)).toBe("| qwen2_5_vl fp32 | 84 (64) | 100.0 / 150.0 | **1.50** | 200.0 / 300.0 | 10.00 / 5.00 | **2.00** | 1024 / 1024 |");
  });
});

describe("bench/vlm subjects at real widths", () => {
  test("Qwen2.5-VL-3B widths; window layout scaled with the depth", () => {
    const s = realShape("qwen2_5_vl", 2, 2);
    expect(s.vision.fullAttBlocks).toEqual([1]);
    expect(realShape("qwen2_5_vl", 36, "full").vision.fullAttBlocks).toEqual([7, 15, 23, 31]);
    const config = qwenVlConfig("qwen2_5_vl", s) as Record<string, unknown>;
    expect(config).toMatchObject({ hidden_size: 2048, num_hidden_layers: 2, num_attention_heads: 16, num_key_value_heads: 2, intermediate_size: 11008 });
    expect(config.vision_config).toMatchObject({ depth: 2, hidden_size: 1280, intermediate_size: 3420, out_hidden_size: 2048, window_size: 112 });
    const tensors = new Map(qwenVlTensors("qwen2_5_vl", s));
    expect(tensors.get("language_model.model.embed_tokens.weight")).toEqual([151936, 2048]);
    expect(tensors.get("vision_tower.merger.mlp.0.weight")).toEqual([5120, 5120]);
  });

  test("Qwen3-VL-4B widths; deepstack after a quarter, half and three quarters", () => {
    expect(realShape("qwen3_vl", 36, "full").vision.deepstack).toEqual([5, 11, 17]);
    const s = realShape("qwen3_vl", 2, 4);
    expect(s.vision.deepstack).toEqual([0, 1, 2]);
    const tensors = new Map(qwenVlTensors("qwen3_vl", s));
    expect(tensors.get("language_model.model.layers.1.self_attn.q_proj.weight")).toEqual([4096, 2560]);
    expect(tensors.get("vision_tower.pos_embed.weight")).toEqual([2304, 1024]);
    expect(tensors.has("vision_tower.deepstack_merger_list.2.linear_fc2.weight")).toBe(true);
    expect(tensors.has("vision_tower.deepstack_merger_list.3.linear_fc2.weight")).toBe(false);
  });
});
