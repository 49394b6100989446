#!/usr/bin/env bun
/**
 * Parity against mlx-vlm for the VLM fixtures: for every case that scripts/parity/vlm-oracle.py recorded,
 * run our model on mlx-vlm's own inputs (input_ids, pixel values, grids) and compare the vision tower's
 * features (max abs diff <= 1e-3 for fp32), the first-step logits (<= 1e-3 for fp32; reported for quantized)
 * and the greedy tokens (identical). One line per case; exits 1 on any mismatch. A second folder holds the
 * Gemma 3 and LLaVA fixtures that scripts/parity/vlm_gemma3_llava.py ran (scripts/parity/vlm-gemma-llava.ts checks
 * each); the last line counts every family.
 *
 *   bun scripts/parity-vlm.ts .cache/parity-vlm [.cache/parity-vlm-gemma-llava]
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import * as mx from "../src/mlx/index.ts";
import { generate, prefill } from "../src/engine/runner/generate.ts";
import { GREEDY } from "../src/engine/sampling/params.ts";
import { loadVlmDir } from "../src/models/vision/load-vlm.ts";
import type { Grid } from "../src/models/vision/qwen-vit.ts";
import { disposePrepared, promptInputs, type VisionInput } from "../src/models/vision/vlm.ts";
import { checkFixture } from "./parity/vlm-gemma-llava.ts";

interface Oracle {
  kind: "image" | "video";
  tokens: number[];
  first_logits: number[];
}

const TOLERANCE = 1e-3;
const root = process.argv[2] ?? ".cache/parity-vlm";
const fixtures = readdirSync(root).filter((d) => existsSync(join(root, d, "config.json"))).sort();
let total = 0;
let failures = 0;

function maxDiff(a: mx.Array, b: mx.Array): number {
  if (a.shape.join() !== b.shape.join()) return Infinity;
  using d = mx.subtract(a, b);
  using ad = mx.abs(d);
  using m = mx.max(ad);
  return m.item();
}

for (const name of fixtures) {
  const dir = join(root, name);
  const { model } = await loadVlmDir(dir);
  const exact = name.endsWith("-fp32");
  for (const kase of readdirSync(join(dir, "cases")).sort()) {
    total++;
    const cdir = join(dir, "cases", kase);
    const oracle = (await Bun.file(join(cdir, "oracle.json")).json()) as Oracle;
    const inputs = mx.loadSafetensors(join(cdir, "inputs.safetensors")).arrays;
    const want = mx.loadSafetensors(join(cdir, "vision.safetensors")).arrays;
    const tokens = inputs.get("input_ids")!.toList() as number[];
    const grids = chunk(inputs.get("grid_thw")!.toList() as number[]);
    const input: VisionInput = { kind: oracle.kind, pixels: inputs.get("pixel_values")!, grids };

    const encoded = model.encode(input);
    let visionDiff = maxDiff(encoded.features, want.get("features")!);
    encoded.deepstack.forEach((d, i) => (visionDiff = Math.max(visionDiff, maxDiff(d, want.get(`deepstack.${i}`)!))));
    const prepared = model.prepare(tokens, [input], [encoded]);
    const caches = model.text.makeCache();
    const first = prefill(model.text, tokens, caches, 512, promptInputs(prepared));
    const logits = first.toList();
    first.dispose();
    let logitDiff = 0;
    for (let i = 0; i < logits.length; i++) logitDiff = Math.max(logitDiff, Math.abs(logits[i]! - oracle.first_logits[i]!));
    const ours: number[] = [];
    for (const t of generate(model.text, tokens, { maxTokens: oracle.tokens.length, sampling: GREEDY, stopTokenIds: new Set(), inputs: promptInputs(prepared) })) {
      ours.push(t.token);
    }
    for (const c of caches) c.dispose();
    disposePrepared(prepared);
    encoded.features.dispose();
    for (const d of encoded.deepstack) d.dispose();
    for (const a of [...inputs.values(), ...want.values()]) a.dispose();

    const mismatch = ours.findIndex((t, i) => t !== oracle.tokens[i]);
    const tokensOk = mismatch === -1 && ours.length === oracle.tokens.length;
    const numbersOk = !exact || (visionDiff <= TOLERANCE && logitDiff <= TOLERANCE);
    const ok = tokensOk && numbersOk;
    if (!ok) failures++;
    console.log(
      `parity-vlm ${ok ? "ok  " : "FAIL"} ${`${name}/${kase}`.padEnd(28)} tokens ${tokensOk ? `${ours.length}/${oracle.tokens.length} identical` : `differ at ${mismatch} (ours ${ours[mismatch]}, mlx-vlm ${oracle.tokens[mismatch]})`}` +
        `  vision max|diff| ${visionDiff.toExponential(2)}  first-step logits max|diff| ${logitDiff.toExponential(2)}${exact ? ` (limit ${TOLERANCE})` : ""}`,
    );
  }
}
const imageRoot = process.argv[3];
if (imageRoot !== undefined) {
  const names = existsSync(imageRoot) ? readdirSync(imageRoot).filter((d) => existsSync(join(imageRoot, d, "oracle/tokens.json"))).sort() : [];
  if (names.length === 0) {
    console.log(`parity-vlm FAIL no Gemma 3 / LLaVA oracle outputs in ${imageRoot}`);
    failures++;
  }
  for (const name of names) {
    total++;
    const { ok, line } = await checkFixture(join(imageRoot, name), name);
    if (!ok) failures++;
    console.log(line);
  }
}
console.log(`parity-vlm: ${total - failures}/${total} fixtures match mlx-vlm`);
process.exit(failures === 0 && total > 0 ? 0 : 1);

function chunk(flat: number[]): Grid[] {
  const out: Grid[] = [];
  for (let i = 0; i < flat.length; i += 3) out.push([flat[i]!, flat[i + 1]!, flat[i + 2]!]);
  return out;
}
