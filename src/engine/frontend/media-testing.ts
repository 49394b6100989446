/**
 * Test fixtures for media prompts: a Qwen2.5-VL processor folder (no weights: config, processor config, the
 * real Qwen tokenizer with a Qwen-VL chat template) and helpers to build media requests.
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lenmlDir } from "../../tokenizer/testdata/fixtures.ts";
import type { ContentPart, GenerateRequest } from "../protocol.ts";

/** Qwen2-VL's template for content parts: a vision block per image or video, text as is. */
export const QWEN_VL_TEMPLATE = [
  "{% for message in messages %}<|im_start|>{{ message['role'] }}\n",
  "{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for part in message['content'] %}",
  "{% if part['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>",
  "{% elif part['type'] == 'video' %}<|vision_start|><|video_pad|><|vision_end|>",
  "{% elif 'text' in part %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}",
  "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}",
].join("");

/**
 * A temporary Qwen2.5-VL processor folder: patch 14, merge 2, 4 to 64 merged tokens per image (as the tiny
 * fixtures), so a 56x84 image takes 6 tokens. `qwen3_vl`: patch 16, the same token budget in 32-pixel cells.
 */
export async function qwenVlPromptDir(arch: "qwen2_5_vl" | "qwen3_vl" = "qwen2_5_vl"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "vmlx-vlm-prompt-"));
  await writeFile(join(dir, "config.json"), JSON.stringify({ model_type: arch }));
  const cell = arch === "qwen3_vl" ? 32 : 28;
  await writeFile(join(dir, "preprocessor_config.json"), JSON.stringify({
    min_pixels: 4 * cell * cell, max_pixels: 64 * cell * cell, patch_size: cell / 2, temporal_patch_size: 2, merge_size: 2,
    ...(arch === "qwen3_vl"
      ? { image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] }
      : { image_mean: [0.48145466, 0.4578275, 0.40821073], image_std: [0.26862954, 0.26130258, 0.27577711] }),
  }));
  await writeFile(join(dir, "tokenizer.json"), await readFile(join(lenmlDir("qwen3"), "tokenizer.json")));
  const config = JSON.parse(await readFile(join(lenmlDir("qwen3"), "tokenizer_config.json"), "utf8")) as Record<string, unknown>;
  config.chat_template = QWEN_VL_TEMPLATE;
  await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify(config));
  return dir;
}

/** `data:<mime>;base64,...` of `bytes`. */
export function dataUrl(mime: string, bytes: Uint8Array): string {
  return `data:${mime};base64,${Buffer.from(bytes).toString("base64")}`;
}

/** A greedy chat request of one user message with `parts`. */
export function mediaRequest(parts: ContentPart[], extra: Partial<Extract<GenerateRequest, { kind: "chat" }>> = {}): GenerateRequest {
  return {
    kind: "chat", requestId: "media-test", messages: [{ role: "user", content: parts }], ...extra,
    sampling: { maxTokens: 4, presencePenalty: 0, frequencyPenalty: 0, logitBias: {}, stop: [], n: 1, logprobs: false, topLogprobs: 0 },
  };
}
