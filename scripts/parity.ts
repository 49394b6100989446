#!/usr/bin/env bun
/**
 * Parity against mlx-lm: for every fixture written by scripts/parity/oracle.py, run our model on the same
 * weights and compare the greedy continuation (must be identical) and the first-step logits (max abs diff
 * <= 1e-3 for fp32 fixtures; reported for quantized ones). Prints one line per fixture; exits 1 on any mismatch.
 *
 *   bun scripts/parity.ts .cache/parity
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { generate, prefill } from "../src/engine/runner/generate.ts";
import { GREEDY } from "../src/engine/sampling/params.ts";
import { loadModelDir } from "../src/models/load.ts";

interface Oracle {
  prompt: number[];
  tokens: number[];
  first_logits: number[];
}

const LOGIT_TOLERANCE = 1e-3;
const root = process.argv[2] ?? ".cache/parity";
let failures = 0;
const fixtures = readdirSync(root).filter((d) => !d.startsWith(".")).sort();
if (fixtures.length === 0) {
  console.error(`parity: no fixtures in ${root}`);
  process.exit(1);
}

for (const name of fixtures) {
  const dir = join(root, name);
  const oracle = (await Bun.file(join(dir, "oracle.json")).json()) as Oracle;
  const { model } = await loadModelDir(dir);

  const caches = model.makeCache();
  const logits = prefill(model, oracle.prompt, caches);
  const ours = logits.toList();
  logits.dispose();
  for (const c of caches) c.dispose();
  let maxDiff = 0;
  for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i]! - oracle.first_logits[i]!));

  const tokens: number[] = [];
  for (const t of generate(model, oracle.prompt, { maxTokens: oracle.tokens.length, sampling: GREEDY, stopTokenIds: new Set() })) {
    tokens.push(t.token);
  }
  const firstMismatch = tokens.findIndex((t, i) => t !== oracle.tokens[i]);
  const tokensOk = firstMismatch === -1 && tokens.length === oracle.tokens.length;
  const logitsOk = name.endsWith("-fp32") ? maxDiff <= LOGIT_TOLERANCE : true;
  const ok = tokensOk && logitsOk;
  if (!ok) failures++;
  console.log(
    `parity ${ok ? "ok  " : "FAIL"} ${name.padEnd(18)} tokens ${tokensOk ? `${tokens.length}/${oracle.tokens.length} identical` : `differ at ${firstMismatch} (ours ${tokens[firstMismatch]}, mlx-lm ${oracle.tokens[firstMismatch]})`}` +
      `  first-step logits max|diff| ${maxDiff.toExponential(2)}${name.endsWith("-fp32") ? ` (limit ${LOGIT_TOLERANCE})` : ""}`,
  );
}
console.log(`parity: ${fixtures.length - failures}/${fixtures.length} fixtures match mlx-lm`);
process.exit(failures === 0 ? 0 : 1);
