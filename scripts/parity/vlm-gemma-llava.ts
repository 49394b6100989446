#!/usr/bin/env bun
/**
 * Model parity of Gemma 3 (with images) and LLaVA against mlx-vlm, on the fixtures that
 * scripts/parity/vlm_gemma3_llava.py writes (mlx-vlm's own pixel values and input ids, so preprocessing is
 * not part of the check): the projected image features and the first-step logits within 1e-3 (fp32
 * fixtures; reported for 4-bit ones), and 32 greedy tokens identical.
 *
 *   bun scripts/parity/vlm-gemma-llava.ts .cache/parity-vlm-gemma-llava
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import * as mx from "../../src/mlx/index.ts";
import { loadGemmaLlavaDir } from "../../src/models/vision/gemma-llava-load.ts";
import type { ImageLanguageModel } from "../../src/models/vision/image-vlm.ts";

const TOLERANCE = 1e-3;

/** Greedy decoding from the merged prompt: the first step's logits and `steps` tokens. */
export function greedy(model: ImageLanguageModel, tokens: readonly number[], pixels: mx.Array, steps: number): { first: number[]; tokens: number[] } {
  const caches = model.text.makeCache();
  using features = model.encodeImages(pixels);
  using embeds = model.inputEmbeds(tokens, features);
  using ids = mx.array([tokens as number[]], { dtype: "int32" });
  let logits = model.text.forward(ids, caches, { inputEmbeds: embeds, lastOnly: true });
  const first = logits.toList();
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    using next = mx.argmax(logits, -1);
    const t = next.toList()[0]!;
    logits.dispose();
    out.push(t);
    if (i === steps - 1) break;
    using step = mx.array([[t]], { dtype: "int32" });
    logits = model.text.forward(step, caches, { lastOnly: true });
  }
  if (!logits.disposed) logits.dispose();
  for (const c of caches) c.dispose();
  return { first, tokens: out };
}

function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Checks one fixture folder; returns whether it matched and the line to print. */
export async function checkFixture(dir: string, name: string): Promise<{ ok: boolean; line: string }> {
  const { model } = await loadGemmaLlavaDir(dir);
  const inputs = mx.loadSafetensors(join(dir, "oracle/inputs.safetensors")).arrays;
  const outputs = mx.loadSafetensors(join(dir, "oracle/outputs.safetensors")).arrays;
  const expected = ((await Bun.file(join(dir, "oracle/tokens.json")).json()) as { tokens: number[] }).tokens;
  const tokens = inputs.get("input_ids")!.toList();
  const pixels = inputs.get("pixel_values")!;
  using feats = model.encodeImages(pixels);
  const featDiff = maxAbsDiff(feats.toList(), outputs.get("image_features")!.toList());
  const { first, tokens: ours } = greedy(model, tokens, pixels, expected.length);
  const logitDiff = maxAbsDiff(first, outputs.get("first_logits")!.toList());
  const at = ours.findIndex((t, i) => t !== expected[i]);
  const tokensOk = at === -1 && ours.length === expected.length;
  const strict = name.endsWith("-fp32");
  const ok = tokensOk && (!strict || (featDiff <= TOLERANCE && logitDiff <= TOLERANCE));
  const tokenText = tokensOk ? `${ours.length}/${expected.length} identical` : `differ at ${at} (ours ${ours[at]}, mlx-vlm ${expected[at]})`;
  const line = `parity-vlm ${ok ? "ok  " : "FAIL"} ${name.padEnd(18)} tokens ${tokenText}  features max|diff| ${featDiff.toExponential(2)}` +
    `  first-step logits max|diff| ${logitDiff.toExponential(2)}${strict ? ` (limit ${TOLERANCE})` : ""}`;
  return { ok, line };
}

if (import.meta.main) {
  const root = process.argv[2] ?? ".cache/parity-vlm-gemma-llava";
  const fixtures = existsSync(root) ? readdirSync(root).filter((d) => !d.startsWith(".")).sort() : [];
  if (fixtures.length === 0) {
    console.error(`parity-vlm: no fixtures in ${root} (write them with scripts/parity/vlm_gemma3_llava.py --out ${root})`);
    process.exit(1);
  }
  let passed = 0;
  for (const name of fixtures) {
    const { ok, line } = await checkFixture(join(root, name), name);
    if (ok) passed++;
    console.log(line);
  }
  console.log(`parity-vlm: ${passed}/${fixtures.length} fixtures match mlx-vlm`);
  process.exit(passed === fixtures.length ? 0 : 1);
}
