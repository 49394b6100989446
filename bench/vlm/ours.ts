#!/usr/bin/env bun
/**
 * One side of bench/vlm: our in-process VLM path (processor -> vision tower -> generate) on one image, timed
 * as bench/vlm/mlx_vlm_gen.py times mlx-vlm. Prints one JSON object on stdout.
 *
 *   bun bench/vlm/ours.ts --model DIR --image IMG.png --prompt-file P.json --max-tokens 16 [--warmup 1]
 *
 * encode_ms: the vision tower's forward pass on the preprocessed pixels, evaluated.
 * ttft_ms: encoder + prompt prefill + first token (preprocessing excluded, as on the mlx-vlm side).
 * decode_tps: (generated - 1) / (last token time - first token time).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import sharp from "sharp";
import * as mx from "../../src/mlx/index.ts";
import { loadVlmSubject, runVlmCase } from "../../src/bench/vlm-runner.ts";

const { values: args } = parseArgs({
  options: {
    model: { type: "string" }, image: { type: "string" }, "prompt-file": { type: "string" },
    "max-tokens": { type: "string", default: "16" }, warmup: { type: "string", default: "1" },
  },
});
if (!args.model || !args.image || !args["prompt-file"]) {
  console.error("usage: bun bench/vlm/ours.ts --model DIR --image IMG.png --prompt-file P.json --max-tokens N");
  process.exit(2);
}
const { question } = JSON.parse(readFileSync(args["prompt-file"], "utf8")) as { question: string };
const { data, info } = await sharp(args.image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
const image = { width: info.width, height: info.height, data: new Uint8Array(data) };
const subject = await loadVlmSubject(args.model);
const maxTokens = Number(args["max-tokens"]);
for (let i = 0; i < Number(args.warmup); i++) runVlmCase(subject, { kind: "image", image }, { maxTokens: 2, question });
mx.resetPeakMemory();
const t = runVlmCase(subject, { kind: "image", image }, { maxTokens, question });
console.log(JSON.stringify({
  side: "ours", prompt_tokens: t.promptTokens, media_tokens: t.mediaTokens, generated: t.generatedTokens,
  encode_ms: t.encodeMs, ttft_ms: t.ttftMs - t.preprocessMs, preprocess_ms: t.preprocessMs, decode_tps: t.decodeTps,
  peak_bytes: t.peakMemoryBytes,
}));
