/**
 * A .safetensors file's header, read and checked without MLX: an 8-byte little-endian length, that many bytes
 * of JSON (`{ name: { dtype, shape, data_offsets: [begin, end] } }`), then the tensor bytes.
 */
import { ByteCursor, CheckpointError, type TensorExtent, withFileHead } from "./checkpoint-file.ts";

/** Bytes per element of the dtypes MLX's safetensors reader accepts. */
const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, U16: 2, I16: 2, F16: 2, BF16: 2, U32: 4, I32: 4, F32: 4, U64: 8, I64: 8, C64: 8,
};

/** MLX's own cap on the JSON header (the same as the Rust safetensors crate). */
const MAX_HEADER_BYTES = 100_000_000;

/** What a safetensors header declares. */
export interface SafetensorsHeader {
  tensors: TensorExtent[];
  /** Sum of the tensors' sizes. */
  totalBytes: number;
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function tensorExtent(path: string, name: string, entry: unknown, dataStart: number, dataBytes: number): TensorExtent {
  const bad = (why: string) => new CheckpointError(path, `tensor '${name}' ${why}`);
  if (entry === null || typeof entry !== "object") throw bad("has no dtype/shape/data_offsets entry");
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  const size = typeof dtype === "string" ? DTYPE_BYTES[dtype] : undefined;
  if (size === undefined) throw bad(`has dtype ${JSON.stringify(dtype)}, which MLX cannot load`);
  if (!Array.isArray(shape) || !shape.every(isCount)) throw bad(`has an invalid shape ${JSON.stringify(shape)}`);
  const [begin, end] = Array.isArray(offsets) && offsets.length === 2 ? offsets : [];
  if (!isCount(begin) || !isCount(end) || begin > end) throw bad(`has invalid data_offsets ${JSON.stringify(offsets)}`);
  const bytes = shape.reduce((n: number, d: number) => n * d, size);
  if (end - begin !== bytes) throw bad(`is ${dtype} ${JSON.stringify(shape)} (${bytes} bytes) but its data_offsets span ${end - begin}`);
  if (end > dataBytes) {
    throw bad(`ends at byte ${dataStart + end} but the file has ${dataStart + dataBytes} (truncated?)`);
  }
  return { name, start: dataStart + begin, bytes };
}

/**
 * Reads and checks a .safetensors header: the length fits the file, the header is a JSON object, every
 * tensor has a dtype MLX loads and a byte range inside the file that matches its shape.
 * Throws {@link CheckpointError} naming the file.
 *
 * @example
 *   readSafetensorsHeader("model.safetensors").totalBytes; // 270_000_000
 */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  return withFileHead(path, (head) => {
    if (head.size < 8) throw new CheckpointError(path, `is ${head.size} bytes, too short for a safetensors header`);
    const length = new ByteCursor(head.read(8)).u64();
    if (length === 0 || length >= MAX_HEADER_BYTES || length > head.size - 8) {
      throw new CheckpointError(path, `header length ${length} does not fit the file (${head.size} bytes); truncated or not a safetensors file`);
    }
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(head.read(8 + length).subarray(8)));
    } catch {
      throw new CheckpointError(path, "header is not valid JSON; the file is corrupt or not a safetensors file");
    }
    if (json === null || typeof json !== "object" || Array.isArray(json)) {
      throw new CheckpointError(path, "header is not a JSON object; the file is corrupt or not a safetensors file");
    }
    const metadata = (json as Record<string, unknown>).__metadata__;
    if (metadata !== undefined && metadata !== null && (typeof metadata !== "object" || Array.isArray(metadata) ||
      !Object.values(metadata).every((v) => typeof v === "string"))) {
      // MLX's reader fails on anything but a string-to-string map, with a bare JSON library error.
      throw new CheckpointError(path, "header's __metadata__ is not a map of strings; the file is corrupt");
    }
    const dataStart = 8 + length;
    const dataBytes = head.size - dataStart;
    const tensors = Object.entries(json)
      .filter(([name]) => name !== "__metadata__")
      .map(([name, entry]) => tensorExtent(path, name, entry, dataStart, dataBytes));
    return { tensors, totalBytes: tensors.reduce((n, t) => n + t.bytes, 0) };
  });
}
