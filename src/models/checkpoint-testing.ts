/**
 * Test fixtures: safetensors and GGUF files written byte by byte (no MLX), so tests can make truncated,
 * corrupt or oversized ones, and tiny model folders with a valid config around them.
 */
import { truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A tensor to write: dtype name (safetensors) or GGML type id (GGUF), shape, and optional raw bytes. */
export interface RawTensor {
  name: string;
  shape: number[];
  /** Raw bytes; random (F32) or zero bytes of the declared size when absent. */
  data?: Uint8Array;
}

const ST_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, U32: 4, U8: 1 };

/** Uniform values in [-0.1, 0.1) for F32 tensors; zeros for other dtypes. */
function randomBytes(count: number, dtype: string): Uint8Array {
  if (dtype !== "F32") return new Uint8Array(count * ST_BYTES[dtype]!);
  return new Uint8Array(Float32Array.from({ length: count }, () => Math.random() * 0.2 - 0.1).buffer);
}

/**
 * Writes a .safetensors file of `tensors` (all `dtype`). With `sparse`, the header declares the tensors
 * but the data is a sparse hole made by truncate: the file has the declared size and takes no disk space.
 *
 * @example
 *   writeSafetensors(path, [{ name: "w", shape: [2, 2] }]);
 */
export function writeSafetensors(path: string, tensors: RawTensor[], opts: { dtype?: string; sparse?: boolean } = {}): void {
  const dtype = opts.dtype ?? "F32";
  const header: Record<string, unknown> = { __metadata__: { format: "mlx" } };
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.shape.reduce((n, d) => n * d, ST_BYTES[dtype]!);
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  if (opts.sparse) {
    writeFileSync(path, Buffer.concat([length, json]));
    truncateSync(path, 8 + json.byteLength + offset);
    return;
  }
  const data = tensors.map((t) => t.data ?? randomBytes(t.shape.reduce((n, d) => n * d, 1), dtype));
  writeFileSync(path, Buffer.concat([length, json, ...data]));
}

/** GGML type ids and their (items, bytes) blocks, for the types the fixtures use. */
export const GGML = { F32: 0, F16: 1, Q4_0: 2, Q5_0: 6, Q8_0: 8, Q4_K: 12, Q6_K: 14, BF16: 30 } as const;
const GGML_BLOCK: Record<number, [number, number]> = {
  0: [1, 4], 1: [1, 2], 2: [32, 18], 6: [32, 22], 8: [32, 34], 12: [256, 144], 14: [256, 210], 30: [1, 2],
};

/** A GGUF metadata value: a string, a u32, or a list of strings. */
export type RawGgufValue = string | number | string[];

/**
 * Writes a version-3 .gguf file: metadata (strings, u32 numbers, string lists) and tensors of GGML `type`
 * (shape in row-major order, as MLX reports it), 32-byte aligned.
 *
 * @example
 *   writeGguf(path, { "general.architecture": "llama" }, [{ name: "token_embd.weight", shape: [8, 32], type: GGML.F32 }]);
 */
export function writeGguf(path: string, metadata: Record<string, RawGgufValue>, tensors: (RawTensor & { type: number })[]): void {
  const parts: Uint8Array[] = [];
  let size = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    size += b.byteLength;
  };
  const u32 = (n: number) => push(new Uint8Array(new Uint32Array([n]).buffer));
  const u64 = (n: number) => push(new Uint8Array(new BigUint64Array([BigInt(n)]).buffer));
  const str = (s: string) => {
    const b = new TextEncoder().encode(s);
    u64(b.byteLength);
    push(b);
  };
  const pad = () => push(new Uint8Array((32 - (size % 32)) % 32));
  push(new TextEncoder().encode("GGUF"));
  u32(3);
  u64(tensors.length);
  u64(Object.keys(metadata).length);
  for (const [key, value] of Object.entries(metadata)) {
    str(key);
    if (typeof value === "string") (u32(8), str(value));
    else if (typeof value === "number") (u32(4), u32(value));
    else (u32(9), u32(8), u64(value.length), value.forEach(str));
  }
  const sizes = tensors.map((t) => {
    const [items, bytes] = GGML_BLOCK[t.type]!;
    return (t.shape.reduce((n, d) => n * d, 1) / items) * bytes;
  });
  let offset = 0;
  tensors.forEach((t, i) => {
    str(t.name);
    u32(t.shape.length);
    for (const d of [...t.shape].reverse()) u64(d);
    u32(t.type);
    u64(offset);
    offset += Math.ceil(sizes[i]! / 32) * 32;
  });
  pad();
  tensors.forEach((t, i) => {
    push(t.data ?? new Uint8Array(sizes[i]!));
    pad();
  });
  writeFileSync(path, Buffer.concat(parts));
}

/** A tiny Llama config.json (hidden 64, 2 layers, vocab 128); `edit` changes keys before writing. */
export function writeTinyConfig(dir: string, edit: (config: Record<string, unknown>) => void = () => {}): void {
  const config: Record<string, unknown> = {
    model_type: "llama", vocab_size: 128, hidden_size: 64, num_hidden_layers: 2, intermediate_size: 128,
    num_attention_heads: 4, num_key_value_heads: 2, head_dim: 16, rms_norm_eps: 1e-5, max_position_embeddings: 512,
    tie_word_embeddings: true,
  };
  edit(config);
  writeFileSync(join(dir, "config.json"), JSON.stringify(config));
}

/** The tensors of {@link writeTinyConfig}'s model (tied head), shapes only. */
export function tinyLlamaTensors(): RawTensor[] {
  const list: RawTensor[] = [{ name: "model.embed_tokens.weight", shape: [128, 64] }, { name: "model.norm.weight", shape: [64] }];
  for (let i = 0; i < 2; i++) {
    const p = `model.layers.${i}`;
    list.push(
      { name: `${p}.self_attn.q_proj.weight`, shape: [64, 64] }, { name: `${p}.self_attn.k_proj.weight`, shape: [32, 64] },
      { name: `${p}.self_attn.v_proj.weight`, shape: [32, 64] }, { name: `${p}.self_attn.o_proj.weight`, shape: [64, 64] },
      { name: `${p}.mlp.gate_proj.weight`, shape: [128, 64] }, { name: `${p}.mlp.up_proj.weight`, shape: [128, 64] },
      { name: `${p}.mlp.down_proj.weight`, shape: [64, 128] }, { name: `${p}.input_layernorm.weight`, shape: [64] },
      { name: `${p}.post_attention_layernorm.weight`, shape: [64] },
    );
  }
  return list;
}
