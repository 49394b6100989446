/** Test fixtures: zip archives built by hand, and a tiny random model written both as GGUF and as an HF dir. */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { deflateRawSync } from "node:zlib";
import * as mx from "../mlx/index.ts";
import { GGUF_TOKEN_TYPE, tokenizerFilesFromGguf } from "../tokenizer/index.ts";

/**
 * A zip archive with the given members; `deflate` compresses them.
 *
 * @example
 *   const zip = buildZip([{ name: "a.txt", data: new TextEncoder().encode("hi"), deflate: true }]);
 */
export function buildZip(members: { name: string; data: Uint8Array; deflate: boolean }[]): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const m of members) {
    const name = new TextEncoder().encode(m.name);
    const body = m.deflate ? new Uint8Array(deflateRawSync(m.data)) : m.data;
    const crc = Bun.hash.crc32(m.data);
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);
    local.setUint16(8, m.deflate ? 8 : 0, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, body.byteLength, true);
    local.setUint32(22, m.data.byteLength, true);
    local.setUint16(26, name.byteLength, true);
    const central = new DataView(new ArrayBuffer(46));
    central.setUint32(0, 0x02014b50, true);
    central.setUint16(4, 20, true);
    central.setUint16(6, 20, true);
    central.setUint16(10, m.deflate ? 8 : 0, true);
    central.setUint32(16, crc, true);
    central.setUint32(20, body.byteLength, true);
    central.setUint32(24, m.data.byteLength, true);
    central.setUint16(28, name.byteLength, true);
    central.setUint32(42, offset, true);
    locals.push(new Uint8Array(local.buffer), name, body);
    centrals.push(new Uint8Array(central.buffer), name);
    offset += 30 + name.byteLength + body.byteLength;
  }
  const dirSize = centrals.reduce((n, c) => n + c.byteLength, 0);
  const eocd = new DataView(new ArrayBuffer(22));
  eocd.setUint32(0, 0x06054b50, true);
  eocd.setUint16(8, members.length, true);
  eocd.setUint16(10, members.length, true);
  eocd.setUint32(12, dirSize, true);
  eocd.setUint32(16, offset, true);
  return new Uint8Array(Buffer.concat([...locals, ...centrals, new Uint8Array(eocd.buffer)]));
}

export interface TinyModelOptions {
  arch: "llama" | "qwen2" | "qwen3";
  /** Write a separate output head instead of tying it to the embeddings. */
  untied?: boolean;
}

const TINY = { hidden: 64, heads: 4, kvHeads: 2, headDim: 16, layers: 2, ffn: 96 };

/** A small byte-level BPE vocabulary: control tokens, printable ASCII, "Ġ" and one merge. */
export function tinyTokenizerMetadata(): Record<string, string | string[] | number | number[]> {
  const tokens = ["<|endoftext|>", "<|im_end|>"];
  for (let c = 0x21; c <= 0x7e; c++) tokens.push(String.fromCharCode(c));
  tokens.push("Ġ", "he");
  const types = tokens.map((_, i) => (i < 2 ? GGUF_TOKEN_TYPE.control : GGUF_TOKEN_TYPE.normal));
  return {
    "tokenizer.ggml.model": "gpt2",
    "tokenizer.ggml.pre": "smollm",
    "tokenizer.ggml.tokens": tokens,
    "tokenizer.ggml.token_type": types,
    "tokenizer.ggml.merges": ["h e"],
    "tokenizer.ggml.bos_token_id": 0,
    "tokenizer.ggml.eos_token_id": 1,
    "tokenizer.chat_template": "{% for m in messages %}{{ m['role'] }}:{{ m['content'] }}\n{% endfor %}",
  };
}

let seed = 1;

function rand(shape: number[], scale = 0.2): mx.Array {
  using key = mx.randomKey(seed++);
  return mx.uniform(-scale, scale, shape, "float32", key);
}

/** Random weights under HF names for the tiny model. */
function tinyWeights(opts: TinyModelOptions, vocab: number): Record<string, mx.Array> {
  const { hidden, heads, kvHeads, headDim, layers, ffn } = TINY;
  const w: Record<string, mx.Array> = { "model.embed_tokens.weight": rand([vocab, hidden]) };
  w["model.norm.weight"] = mx.add(rand([hidden], 0.1), 1);
  if (opts.untied) w["lm_head.weight"] = rand([vocab, hidden]);
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}`;
    w[`${p}.self_attn.q_proj.weight`] = rand([heads * headDim, hidden]);
    w[`${p}.self_attn.k_proj.weight`] = rand([kvHeads * headDim, hidden]);
    w[`${p}.self_attn.v_proj.weight`] = rand([kvHeads * headDim, hidden]);
    w[`${p}.self_attn.o_proj.weight`] = rand([hidden, heads * headDim]);
    w[`${p}.mlp.gate_proj.weight`] = rand([ffn, hidden]);
    w[`${p}.mlp.up_proj.weight`] = rand([ffn, hidden]);
    w[`${p}.mlp.down_proj.weight`] = rand([hidden, ffn]);
    w[`${p}.input_layernorm.weight`] = mx.add(rand([hidden], 0.1), 1);
    w[`${p}.post_attention_layernorm.weight`] = mx.add(rand([hidden], 0.1), 1);
    if (opts.arch === "qwen2") {
      for (const [m, n] of [["q", heads], ["k", kvHeads], ["v", kvHeads]] as const) {
        w[`${p}.self_attn.${m}_proj.bias`] = rand([n * headDim]);
      }
    }
    if (opts.arch === "qwen3") {
      w[`${p}.self_attn.q_norm.weight`] = mx.add(rand([headDim], 0.1), 1);
      w[`${p}.self_attn.k_norm.weight`] = mx.add(rand([headDim], 0.1), 1);
    }
  }
  return w;
}

const TO_GGUF: [RegExp, string][] = [
  [/^model\.embed_tokens\./, "token_embd."],
  [/^model\.norm\./, "output_norm."],
  [/^lm_head\./, "output."],
  [/^model\.layers\.(\d+)\.self_attn\.(q|k|v)_proj\./, "blk.$1.attn_$2."],
  [/^model\.layers\.(\d+)\.self_attn\.o_proj\./, "blk.$1.attn_output."],
  [/^model\.layers\.(\d+)\.self_attn\.(q|k)_norm\./, "blk.$1.attn_$2_norm."],
  [/^model\.layers\.(\d+)\.mlp\.(gate|up|down)_proj\./, "blk.$1.ffn_$2."],
  [/^model\.layers\.(\d+)\.input_layernorm\./, "blk.$1.attn_norm."],
  [/^model\.layers\.(\d+)\.post_attention_layernorm\./, "blk.$1.ffn_norm."],
];

function ggufName(hf: string): string {
  for (const [re, to] of TO_GGUF) if (re.test(hf)) return hf.replace(re, to);
  throw new Error(`no GGUF name for ${hf}`);
}

/**
 * Writes the same random tiny model as `<dir>/tiny.gguf` (F32 tensors, GGUF metadata) and as an HF directory
 * `<dir>/hf` (config.json, model.safetensors, tokenizer files). Returns both paths.
 */
export async function writeTinyModel(dir: string, opts: TinyModelOptions): Promise<{ gguf: string; hfDir: string }> {
  const tokenizerMeta = tinyTokenizerMetadata();
  const vocab = (tokenizerMeta["tokenizer.ggml.tokens"] as string[]).length;
  const weights = tinyWeights(opts, vocab);
  const { hidden, heads, kvHeads, headDim, layers, ffn } = TINY;
  const a = opts.arch;
  const gguf = join(dir, "tiny.gguf");
  mx.saveGguf(gguf, Object.fromEntries(Object.entries(weights).map(([k, v]) => [ggufName(k), v])), {
    "general.architecture": a,
    [`${a}.block_count`]: layers,
    [`${a}.embedding_length`]: hidden,
    [`${a}.feed_forward_length`]: ffn,
    [`${a}.attention.head_count`]: heads,
    [`${a}.attention.head_count_kv`]: kvHeads,
    [`${a}.attention.key_length`]: headDim,
    [`${a}.rope.dimension_count`]: headDim,
    [`${a}.rope.freq_base`]: 10000.5,
    [`${a}.attention.layer_norm_rms_epsilon`]: 0.00001,
    [`${a}.context_length`]: 2048,
    ...tokenizerMeta,
  });
  const hfDir = join(dir, "hf");
  mkdirSync(hfDir, { recursive: true });
  mx.saveSafetensors(join(hfDir, "model.safetensors"), weights);
  const config = {
    model_type: a,
    vocab_size: vocab,
    hidden_size: hidden,
    num_hidden_layers: layers,
    intermediate_size: ffn,
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    head_dim: headDim,
    rms_norm_eps: 0.00001,
    rope_theta: 10000.5,
    rope_traditional: a === "llama",
    max_position_embeddings: 2048,
    tie_word_embeddings: !opts.untied,
  };
  await Bun.write(join(hfDir, "config.json"), JSON.stringify(config));
  const files = tokenizerFilesFromGguf({ ...tokenizerMeta, "tokenizer.ggml.pre": "gpt2" });
  await Bun.write(join(hfDir, "tokenizer.json"), JSON.stringify(files.tokenizerJson));
  await Bun.write(join(hfDir, "tokenizer_config.json"), JSON.stringify(files.tokenizerConfig));
  for (const v of Object.values(weights)) v.dispose();
  return { gguf, hfDir };
}
