#!/usr/bin/env bun
/**
 * Random-weight model folders for tests and parity.
 *
 *   bun scripts/fixtures.ts vlm --arch qwen2_vl --out DIR [--bits 4] [--seed N] [--tiny-vocab]
 *
 * ARCH: qwen2_vl, qwen2_5_vl, qwen3_vl, gemma3, llava, llava_next. Every folder is servable: a real tokenizer with
 * the family's vision tokens, a chat template that renders image parts, processor configs. Gemma 3 and LLaVA
 * folders use Gemma 3's and Llama 3.1's (+ `<image>`) vocabularies; `--tiny-vocab` writes them over the 512-token
 * vocabulary without tokenizer files instead, as scripts/parity/vlm_gemma3_llava.py's fixed prompts expect.
 */
import { parseArgs } from "node:util";
import { QWEN_VL_ARCHS, writeQwenVlFixture, type QwenVlArch } from "./fixtures/vlm-qwen.ts";
import { writeTinyVlm } from "../src/models/vision/gemma-llava-testing.ts";
import { writeServableVlm } from "../src/models/vision/servable-vlm.ts";

type WriterOptions = { bits?: number; seed?: number; tinyVocab?: boolean };

const VLM_WRITERS: Record<string, (dir: string, opts: WriterOptions) => void> = Object.fromEntries(
  [
    ...QWEN_VL_ARCHS.map((a) => [a, (dir: string, opts: { bits?: number; seed?: number }) => writeQwenVlFixture(a as QwenVlArch, dir, opts)]),
    // Gemma 3 (SigLIP), LLaVA 1.5 and LLaVA-NeXT (CLIP; NeXT adds image_newline and 32-pixel grid pinpoints) in
    // mlx-vlm's layout; 4- or 8-bit quantize what nn.quantize would.
    ...(["gemma3", "llava", "llava_next"] as const).map((a) => [a, (dir: string, opts: WriterOptions) => opts.tinyVocab
      ? writeTinyVlm(dir, a, opts.seed ?? 1, opts.bits as 4 | 8 | undefined)
      : writeServableVlm(dir, a, { seed: opts.seed ?? 1, bits: opts.bits as 4 | 8 | undefined })]),
  ],
);

const { values, positionals } = parseArgs({
  args: Bun.argv.slice(2),
  options: { arch: { type: "string" }, out: { type: "string" }, bits: { type: "string" }, seed: { type: "string" }, "tiny-vocab": { type: "boolean" } },
  allowPositionals: true,
});
const usage = `usage: bun scripts/fixtures.ts vlm --arch (${Object.keys(VLM_WRITERS).join("|")}) --out DIR [--bits 4] [--seed N] [--tiny-vocab]`;
if (positionals[0] !== "vlm" || !values.arch || !values.out) {
  console.error(usage);
  process.exit(2);
}
const writer = VLM_WRITERS[values.arch];
if (!writer) {
  console.error(`unknown arch '${values.arch}'\n${usage}`);
  process.exit(2);
}
const bits = values.bits ? Number(values.bits) : undefined;
if (bits !== undefined && ![4, 8].includes(bits)) {
  console.error("--bits must be 4 or 8");
  process.exit(2);
}
writer(values.out, { bits, seed: values.seed ? Number(values.seed) : 1, tinyVocab: values["tiny-vocab"] ?? false });
console.log(`fixtures: wrote ${values.arch}${bits ? ` ${bits}-bit` : " fp32"} to ${values.out}`);
