/**
 * GGUF to HF: tensor names (`blk.0.attn_q.weight` -> `model.layers.0.self_attn.q_proj.weight`), an HF-style
 * config.json built from `<arch>.*` metadata, and per-module quantization read off the tensor shapes.
 */
import type * as mx from "../mlx/index.ts";
import { ConfigError, type HfConfig } from "./config.ts";

/** GGUF metadata as MLX returns it. */
export type GgufMetadata = Record<string, mx.GgufValue>;

/** GGUF architectures we load, with the HF model_type each becomes. */
export const GGUF_ARCHITECTURES: Readonly<Record<string, { modelType: string; ropeTraditional: boolean }>> = {
  // llama.cpp permutes Llama Q/K rows into the interleaved rotary layout: traditional RoPE undoes it.
  llama: { modelType: "llama", ropeTraditional: true },
  qwen2: { modelType: "qwen2", ropeTraditional: false },
  qwen3: { modelType: "qwen3", ropeTraditional: false },
};

const LAYER_MODULES: Readonly<Record<string, string>> = {
  attn_q: "self_attn.q_proj",
  attn_k: "self_attn.k_proj",
  attn_v: "self_attn.v_proj",
  attn_output: "self_attn.o_proj",
  attn_q_norm: "self_attn.q_norm",
  attn_k_norm: "self_attn.k_norm",
  ffn_gate: "mlp.gate_proj",
  ffn_up: "mlp.up_proj",
  ffn_down: "mlp.down_proj",
  attn_norm: "input_layernorm",
  ffn_norm: "post_attention_layernorm",
};

const TOP_MODULES: Readonly<Record<string, string>> = {
  token_embd: "model.embed_tokens",
  output_norm: "model.norm",
  output: "lm_head",
};

const SUFFIXES = new Set(["weight", "scales", "biases", "bias"]);

/**
 * The HF name of a GGUF tensor, or null when it has none.
 *
 * @example
 *   ggufToHfName("blk.3.ffn_down.scales"); // "model.layers.3.mlp.down_proj.scales"
 */
export function ggufToHfName(name: string): string | null {
  const dot = name.lastIndexOf(".");
  const suffix = name.slice(dot + 1);
  if (dot < 0 || !SUFFIXES.has(suffix)) return null;
  const module = name.slice(0, dot);
  const layer = /^blk\.(\d+)\.(\w+)$/.exec(module);
  if (layer) {
    const mapped = LAYER_MODULES[layer[2]!];
    return mapped ? `model.layers.${layer[1]}.${mapped}.${suffix}` : null;
  }
  const top = TOP_MODULES[module];
  return top ? `${top}.${suffix}` : null;
}

function metaNumber(meta: GgufMetadata, key: string, required: boolean): number | undefined {
  const v = meta[key];
  if (v === undefined || v === null) {
    if (required) throw new ConfigError(`GGUF metadata: missing '${key}'`);
    return undefined;
  }
  if (typeof v !== "number") throw new ConfigError(`GGUF metadata: '${key}' must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function ropeScaling(meta: GgufMetadata, arch: string): HfConfig | null {
  const type = meta[`${arch}.rope.scaling.type`];
  if (type === undefined || type === null || type === "none") return null;
  if (type !== "linear") throw new ConfigError(`GGUF rope scaling '${String(type)}' is not supported (linear only)`);
  return { type: "linear", factor: metaNumber(meta, `${arch}.rope.scaling.factor`, true) };
}

/**
 * An HF-style config.json object from GGUF metadata and the file's tensor names (HF names, after mapping).
 * Throws ConfigError for an unknown architecture or missing keys.
 *
 * @example
 *   const hf = hfConfigFromGguf(metadata, new Set(["model.embed_tokens.weight"]));
 *   hf.model_type; // "llama"
 */
export function hfConfigFromGguf(meta: GgufMetadata, tensorNames: ReadonlySet<string>): HfConfig {
  const arch = meta["general.architecture"];
  const known = typeof arch === "string" && Object.hasOwn(GGUF_ARCHITECTURES, arch) ? GGUF_ARCHITECTURES[arch] : undefined;
  if (!known || typeof arch !== "string") {
    throw new ConfigError(
      `unknown GGUF architecture '${String(arch)}' (supported: ${Object.keys(GGUF_ARCHITECTURES).join(", ")})`,
    );
  }
  const n = (key: string) => metaNumber(meta, `${arch}.${key}`, true)!;
  const opt = (key: string) => metaNumber(meta, `${arch}.${key}`, false);
  const heads = n("attention.head_count");
  const hidden = n("embedding_length");
  const tokens = meta["tokenizer.ggml.tokens"];
  const vocab = opt("vocab_size") ?? (Array.isArray(tokens) ? tokens.length : undefined);
  if (vocab === undefined) throw new ConfigError(`GGUF metadata: neither '${arch}.vocab_size' nor 'tokenizer.ggml.tokens'`);
  const headDim = opt("attention.key_length") ?? hidden / heads;
  const ropeDims = opt("rope.dimension_count");
  if (ropeDims !== undefined && ropeDims !== headDim) {
    throw new ConfigError(`GGUF partial rotary (rope.dimension_count ${ropeDims} < head dim ${headDim}) is not supported`);
  }
  if (tensorNames.has("rope_freqs.weight")) throw new ConfigError("GGUF rope_freqs (Llama 3.1 rope scaling) is not supported");
  return {
    model_type: known.modelType,
    vocab_size: vocab,
    hidden_size: hidden,
    num_hidden_layers: n("block_count"),
    intermediate_size: n("feed_forward_length"),
    num_attention_heads: heads,
    num_key_value_heads: opt("attention.head_count_kv") ?? heads,
    head_dim: headDim,
    rms_norm_eps: n("attention.layer_norm_rms_epsilon"),
    rope_theta: opt("rope.freq_base") ?? 10000,
    rope_traditional: known.ropeTraditional,
    rope_scaling: ropeScaling(meta, arch),
    max_position_embeddings: opt("context_length") ?? 4096,
    tie_word_embeddings: !tensorNames.has("lm_head.weight"),
    attention_bias: tensorNames.has("model.layers.0.self_attn.q_proj.bias"),
  };
}

/** Input width of each quantizable module, from the config. */
function inputDims(hf: HfConfig, module: string): number | null {
  const hidden = hf.hidden_size as number;
  if (/(q_proj|k_proj|v_proj|gate_proj|up_proj)$/.test(module) || module === "lm_head" || module === "model.embed_tokens") {
    return hidden;
  }
  if (module.endsWith("o_proj")) return (hf.num_attention_heads as number) * (hf.head_dim as number);
  if (module.endsWith("down_proj")) return hf.intermediate_size as number;
  return null;
}

/**
 * The config.json `quantization` section read off the packed shapes: bits = packedCols * 32 / in,
 * group = in / groups; the most common pair is the default, other modules get overrides. Null when nothing is
 * quantized.
 *
 * @example
 *   quantizationFromShapes(hf, tensors); // { group_size: 32, bits: 4, mode: "affine", "model.embed_tokens": { group_size: 32, bits: 8 } }
 */
export function quantizationFromShapes(hf: HfConfig, tensors: ReadonlyMap<string, mx.Array>): HfConfig | null {
  const perModule = new Map<string, string>();
  const counts = new Map<string, number>();
  for (const [name, scales] of tensors) {
    if (!name.endsWith(".scales")) continue;
    const module = name.slice(0, -".scales".length);
    const weight = tensors.get(`${module}.weight`);
    const inDims = inputDims(hf, module);
    if (!weight || inDims === null) throw new ConfigError(`GGUF tensor '${name}' has no quantized weight or known input size`);
    const bits = (weight.shape[1]! * 32) / inDims;
    const groupSize = inDims / scales.shape[1]!;
    if (![2, 3, 4, 5, 6, 8].includes(bits) || ![32, 64, 128].includes(groupSize)) {
      throw new ConfigError(`GGUF tensor '${module}' has unsupported quantization (bits ${bits}, group ${groupSize})`);
    }
    const key = `${bits}/${groupSize}`;
    perModule.set(module, key);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  if (counts.size === 0) return null;
  const common = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
  const parse = (key: string) => {
    const [bits, groupSize] = key.split("/").map(Number);
    return { group_size: groupSize, bits };
  };
  const section: HfConfig = { ...parse(common), mode: "affine" };
  for (const [module, key] of perModule) if (key !== common) section[module] = { ...parse(key), mode: "affine" };
  return section;
}
