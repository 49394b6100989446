/**
 * Small random-weight checkpoints for engine tests, written in HF/MLX layout and loaded like real ones
 * (same shapes and configs as scripts/parity/oracle.py's fixtures; weights drawn here with a seeded key).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { native } from "../../mlx/ffi/library.ts";
import * as mx from "../../mlx/index.ts";
import type { DecoderModel } from "../../models/decoder.ts";
import { loadModelDir } from "../../models/load.ts";

export type TinyFamily = "llama" | "qwen3" | "gemma3_text" | "gemma2";

export interface TinyModelOptions {
  seed?: number;
  hiddenSize?: number;
  numLayers?: number;
  numHeads?: number;
  numKvHeads?: number;
  headDim?: number;
  intermediateSize?: number;
  vocabSize?: number;
  /** Gemma only. */
  slidingWindow?: number;
  /** Weight dtype (default float32). */
  dtype?: mx.Dtype;
  /** Affine-quantize every matrix (embedding included) to this many bits, group size 64, as mlx-lm does. */
  quantBits?: number;
}

const FAMILY_CONFIG: Record<TinyFamily, Record<string, unknown>> = {
  llama: {
    model_type: "llama",
    rope_theta: 500000.0,
    tie_word_embeddings: false,
    rope_scaling: { rope_type: "llama3", factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0,
      original_max_position_embeddings: 64 },
  },
  qwen3: { model_type: "qwen3", rope_theta: 1000000.0, tie_word_embeddings: true, rope_scaling: { type: "linear", factor: 2.0 } },
  gemma3_text: { model_type: "gemma3_text", query_pre_attn_scalar: 16.0, sliding_window: 16, sliding_window_pattern: 2,
    rope_theta: 1000000.0, rope_local_base_freq: 10000.0 },
  gemma2: { model_type: "gemma2", query_pre_attn_scalar: 16.0, attn_logit_softcapping: 50.0, final_logit_softcapping: 30.0,
    sliding_window: 16 },
};

/**
 * Writes a random-weight checkpoint of `family` into a fresh temp directory; returns the directory.
 *
 * @example
 * const dir = writeTinyModel("qwen3", { seed: 1 });
 */
export function writeTinyModel(family: TinyFamily, opts: TinyModelOptions = {}): string {
  const D = opts.hiddenSize ?? 64;
  const H = opts.numHeads ?? 4;
  const Hkv = opts.numKvHeads ?? 2;
  const hd = opts.headDim ?? 16;
  const F = opts.intermediateSize ?? 128;
  const V = opts.vocabSize ?? 256;
  const layers = opts.numLayers ?? 2;
  const config: Record<string, unknown> = {
    hidden_size: D, num_hidden_layers: layers, intermediate_size: F, num_attention_heads: H, num_key_value_heads: Hkv,
    head_dim: hd, rms_norm_eps: 1e-5, vocab_size: V, max_position_embeddings: 4096, ...FAMILY_CONFIG[family],
  };
  if (opts.slidingWindow !== undefined) config.sliding_window = opts.slidingWindow;
  const dtype = opts.dtype ?? "float32";
  if (opts.quantBits) config.quantization = { group_size: 64, bits: opts.quantBits };
  const gemma = family.startsWith("gemma");
  const qkNorm = family !== "llama" && family !== "gemma2";
  let key = mx.randomKey(opts.seed ?? 0);
  const weights = new Map<string, mx.Array>();
  const dense = (name: string, out: number, inp: number) => {
    const [k1, k2] = mx.split(mx.randomSplit(key), 2, 0) as [mx.Array, mx.Array];
    key.dispose();
    key = mx.reshape(k1, [2]);
    using sub = mx.reshape(k2, [2]);
    k1.dispose();
    k2.dispose();
    using w32 = mx.normal([out, inp], "float32", sub, 0, 2 / Math.sqrt(inp));
    const w = mx.astype(w32, dtype);
    if (!opts.quantBits) {
      weights.set(name, w);
      return;
    }
    using _w = w;
    const q = mx.quantize(w, { groupSize: 64, bits: opts.quantBits });
    const prefix = name.slice(0, -".weight".length);
    weights.set(name, q.wq);
    weights.set(`${prefix}.scales`, q.scales);
    if (q.biases) weights.set(`${prefix}.biases`, q.biases);
    mx.evaluate(q.wq, q.scales, ...(q.biases ? [q.biases] : []));
  };
  const norm = (name: string, n: number) => weights.set(name, gemma ? mx.zeros([n], dtype) : mx.ones([n], dtype));
  dense("model.embed_tokens.weight", V, D);
  if (config.tie_word_embeddings === false || gemma) dense("lm_head.weight", V, D);
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}`;
    dense(`${p}.self_attn.q_proj.weight`, H * hd, D);
    dense(`${p}.self_attn.k_proj.weight`, Hkv * hd, D);
    dense(`${p}.self_attn.v_proj.weight`, Hkv * hd, D);
    dense(`${p}.self_attn.o_proj.weight`, D, H * hd);
    dense(`${p}.mlp.gate_proj.weight`, F, D);
    dense(`${p}.mlp.up_proj.weight`, F, D);
    dense(`${p}.mlp.down_proj.weight`, D, F);
    if (qkNorm) {
      norm(`${p}.self_attn.q_norm.weight`, hd);
      norm(`${p}.self_attn.k_norm.weight`, hd);
    }
    norm(`${p}.input_layernorm.weight`, D);
    norm(`${p}.post_attention_layernorm.weight`, D);
    if (gemma) {
      norm(`${p}.pre_feedforward_layernorm.weight`, D);
      norm(`${p}.post_feedforward_layernorm.weight`, D);
    }
  }
  norm("model.norm.weight", D);
  key.dispose();
  const dir = mkdtempSync(join(tmpdir(), `tiny-${family}-`));
  writeFileSync(join(dir, "config.json"), JSON.stringify(config, null, 2));
  mx.evaluate(...weights.values());
  mx.saveSafetensors(join(dir, "model.safetensors"), weights);
  for (const w of weights.values()) w.dispose();
  return dir;
}

/** Writes and loads a tiny model. @example const model = await tinyModel("llama"); */
export async function tinyModel(family: TinyFamily, opts: TinyModelOptions = {}): Promise<DecoderModel> {
  return (await loadModelDir(writeTinyModel(family, opts))).model;
}

/** Runs `fn` with `onCall` seeing the arguments of each call of native symbol `name`; restores the symbol after. */
function spying<T>(name: string, onCall: (args: unknown[]) => void, fn: () => T): T {
  const table = native() as unknown as Record<string, (...a: unknown[]) => unknown>;
  const real = table[name]!;
  table[name] = (...a: unknown[]) => (onCall(a), real(...a));
  try {
    return fn();
  } finally {
    table[name] = real;
  }
}

/**
 * `fn`'s result and how many arrays it made from host memory (calls of `mlx_array_new_data`): each is a managed
 * allocation that the GPU faults in on MLX's CUDA backend.
 */
export function hostArraysMadeBy<T>(fn: () => T): [T, number] {
  let n = 0;
  const result = spying("mlx_array_new_data", () => n++, fn);
  return [result, n];
}

/** `fn`'s result and, for each `async_eval` it queued, in order, the number of arrays that evaluation was given. */
export function asyncEvalsBy<T>(fn: () => T): [T, number[]] {
  const sizes: number[] = [];
  const result = spying("vmlx_async_eval_n", (a) => sizes.push(Number(a[1])), fn);
  return [result, sizes];
}
