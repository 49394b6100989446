#!/usr/bin/env bun
/**
 * Random-weight model folders for tests and parity.
 *
 *   bun scripts/fixtures.ts vlm --arch qwen2_vl --out DIR [--bits 4] [--seed N]
 *
 * ARCH: qwen2_vl, qwen2_5_vl, qwen3_vl, gemma3, llava, llava_next.
 */
import { parseArgs } from "node:util";
import { QWEN_VL_ARCHS, writeQwenVlFixture, type QwenVlArch } from "./fixtures/vlm-qwen.ts";
import { writeTinyVlm } from "../src/models/vision/gemma-llava-testing.ts";

const VLM_WRITERS: Record<string, (dir: string, opts: { bits?: number; seed?: number }) => void> = Object.fromEntries(
  [
    ...QWEN_VL_ARCHS.map((a) => [a, (dir: string, opts: { bits?: number; seed?: number }) => writeQwenVlFixture(a as QwenVlArch, dir, opts)]),
    // Gemma 3 (SigLIP), LLaVA 1.5 and LLaVA-NeXT (CLIP; NeXT adds image_newline and 32-pixel grid pinpoints) in
    // mlx-vlm's layout; 4- or 8-bit quantize what nn.quantize would.
    ...(["gemma3", "llava", "llava_next"] as const).map((a) => [a, (dir: string, opts: { bits?: number; seed?: number }) =>
      writeTinyVlm(dir, a, opts.seed ?? 1, opts.bits as 4 | 8 | undefined)]),
  ],
);

const { values, positionals } = parseArgs({
  args: Bun.argv.slice(2),
  options: { arch: { type: "string" }, out: { type: "string" }, bits: { type: "string" }, seed: { type: "string" } },
  allowPositionals: true,
});
const usage = `usage: bun scripts/fixtures.ts vlm --arch (${Object.keys(VLM_WRITERS).join("|")}) --out DIR [--bits 4] [--seed N]`;
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
writer(values.out, { bits, seed: values.seed ? Number(values.seed) : 1 });
console.log(`fixtures: wrote ${values.arch}${bits ? ` ${bits}-bit` : " fp32"} to ${values.out}`);
