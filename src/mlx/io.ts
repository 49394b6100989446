/**
 * Safetensors and GGUF loading and saving. Loaded tensors are lazy: file data is read on first evaluation.
 *
 * @example
 *   const { arrays, metadata } = mx.loadSafetensors("model.safetensors");
 *   mx.saveSafetensors("out.safetensors", arrays, { format: "mlx" });
 */
import { ptr, read, toArrayBuffer, type Pointer } from "bun:ffi";
import { Array } from "./array.ts";
import { MlxError } from "./errors.ts";
import { lastError, N, pin } from "./ffi/call.ts";
import { encodeGgufMetadata, type GgufInput, type GgufValue } from "./io-gguf.ts";
import { cstr, cstrList, freeVector, takeVector, toVector } from "./ops/nn-args.ts";
import { type Stream, streamHandle as S } from "./stream.ts";

export type { GgufInput, GgufValue } from "./io-gguf.ts";

export interface SafetensorsFile {
  arrays: Map<string, Array>;
  metadata: Record<string, string>;
}

export interface GgufFile {
  arrays: Map<string, Array>;
  metadata: Record<string, GgufValue>;
}

export type ArrayMap = Map<string, Array> | Record<string, Array>;

// Out-parameters of the load calls: vector, names buffer, metadata buffer. Zero between calls.
const slotMem = pin(24);
const slots = new BigUint64Array(slotMem.buffer);
const VEC = slotMem.ptr;
const NAMES = (slotMem.ptr + 8) as Pointer;
const META = (slotMem.ptr + 16) as Pointer;
const decoder = new TextDecoder();

/** Throws an MlxError that names `path`, unless `status` is 0. */
function checkFile(op: string, path: string, status: number): void {
  if (status === 0) return;
  const msg = lastError();
  throw new MlxError(op, msg.includes(path) ? msg : `${path}: ${msg}`);
}

/** Decodes and frees a returned vmlx_buffer. */
function takeText(h: Pointer): string {
  try {
    const n = Number(N.vmlx_buffer_size(h));
    if (n === 0) return "";
    return decoder.decode(new Uint8Array(toArrayBuffer(N.vmlx_buffer_data(h) as Pointer, 0, n)));
  } finally {
    N.vmlx_buffer_free(h);
  }
}

type LoadFn = (vec: Pointer, names: Pointer, meta: Pointer, file: Uint8Array, s: Pointer) => number;

function loadWith(op: string, fn: LoadFn, path: string, s?: Stream): { arrays: Map<string, Array>; json: string } {
  slots.fill(0n);
  const status = fn(VEC, NAMES, META, cstr(path), S(s));
  const [v, names, meta] = [read.ptr(VEC, 0), read.ptr(NAMES, 0), read.ptr(META, 0)] as Pointer[];
  slots.fill(0n);
  checkFile(op, path, status);
  const keys = takeText(names!).split("\0");
  const json = takeText(meta!);
  const list = takeVector(v!);
  const arrays = new Map<string, Array>();
  list.forEach((a, i) => arrays.set(keys[i]!, a));
  return { arrays, json };
}

/**
 * Loads every tensor and the `__metadata__` strings of a .safetensors file.
 *
 * @example
 *   const { arrays } = mx.loadSafetensors("model-00001-of-00002.safetensors");
 *   arrays.get("model.embed_tokens.weight")?.shape;
 */
export function loadSafetensors(path: string, s?: Stream): SafetensorsFile {
  const { arrays, json } = loadWith("vmlx_load_safetensors", N.vmlx_load_safetensors, path, s);
  return { arrays, metadata: JSON.parse(json) as Record<string, string> };
}

function entries(arrays: ArrayMap): [string, Array][] {
  return arrays instanceof Map ? [...arrays.entries()] : Object.entries(arrays);
}

/**
 * Writes arrays (evaluating them) and string metadata to a .safetensors file.
 *
 * @example
 *   mx.saveSafetensors("weights.safetensors", { w: mx.array([1, 2]) }, { format: "mlx" });
 */
export function saveSafetensors(path: string, arrays: ArrayMap, metadata: Record<string, string> = {}): void {
  const list = entries(arrays);
  const meta = Object.entries(metadata);
  const v = toVector(list.map(([, a]) => a));
  try {
    const st = N.vmlx_save_safetensors(cstr(path), v, cstrList(list.map(([k]) => k)), cstrList(meta.flat()),
      meta.length);
    checkFile("vmlx_save_safetensors", path, st);
  } finally {
    freeVector(v);
  }
}

/**
 * Loads a .gguf file: tensors (Q4_0/Q4_1/Q8_0 become affine `.weight`/`.scales`/`.biases` triplets) and
 * metadata (strings, numbers, booleans and lists of them).
 *
 * @example
 *   const { metadata } = mx.loadGguf("model.gguf");
 *   metadata["general.architecture"]; // "llama"
 */
export function loadGguf(path: string, s?: Stream): GgufFile {
  const { arrays, json } = loadWith("vmlx_load_gguf", N.vmlx_load_gguf, path, s);
  return { arrays, metadata: JSON.parse(json) as Record<string, GgufValue> };
}

/**
 * Writes arrays and metadata to a .gguf file. Integer numbers are stored as int32, others as float32;
 * pass an Array to choose the type.
 *
 * @example
 *   mx.saveGguf("t.gguf", { w }, { "general.name": "tiny", "llama.context_length": 4096 });
 */
export function saveGguf(path: string, arrays: ArrayMap, metadata: Record<string, GgufInput> = {}): void {
  const list = entries(arrays);
  const meta = encodeGgufMetadata(metadata);
  const v = toVector(list.map(([, a]) => a));
  const mv = toVector(meta.arrays);
  try {
    const st = N.vmlx_save_gguf(cstr(path), v, cstrList(list.map(([k]) => k)), mv, cstrList(meta.arrayKeys),
      meta.strings, meta.stringsLength);
    checkFile("vmlx_save_gguf", path, st);
  } finally {
    freeVector(v);
    freeVector(mv);
    for (const a of meta.owned) a.dispose();
  }
}
