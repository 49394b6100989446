/**
 * A .gguf file's header, read and checked without MLX: magic, version, metadata, tensor infos, and every
 * tensor's byte range against the file size. MLX's GGUF reader maps the file and follows these numbers
 * unchecked, so a truncated or corrupt file must be stopped here.
 */
import { type ByteCursor, CheckpointError, formatSize, parseGrowing, type TensorExtent, withFileHead } from "./checkpoint-file.ts";

/**
 * GGML tensor types by id. Those MLX loads carry their block layout (items, bytes): F32, F16, and Q4_0, Q4_1,
 * Q8_0 as affine triplets; Q2_K, Q4_K, Q6_K and BF16 MLX expands to float16. The rest only have a name: MLX
 * fails on them, or (ids its reader has no table entry for) reads out of bounds.
 */
const TENSOR_TYPES: Readonly<Record<number, { name: string; block?: [number, number] }>> = {
  0: { name: "F32", block: [1, 4] }, 1: { name: "F16", block: [1, 2] }, 2: { name: "Q4_0", block: [32, 18] },
  3: { name: "Q4_1", block: [32, 20] }, 8: { name: "Q8_0", block: [32, 34] }, 10: { name: "Q2_K", block: [256, 84] },
  12: { name: "Q4_K", block: [256, 144] }, 14: { name: "Q6_K", block: [256, 210] }, 30: { name: "BF16", block: [1, 2] },
  6: { name: "Q5_0" }, 7: { name: "Q5_1" }, 9: { name: "Q8_1" }, 11: { name: "Q3_K" }, 13: { name: "Q5_K" },
  15: { name: "Q8_K" }, 16: { name: "IQ2_XXS" }, 17: { name: "IQ2_XS" }, 18: { name: "IQ3_XXS" }, 19: { name: "IQ1_S" },
  20: { name: "IQ4_NL" }, 21: { name: "IQ3_S" }, 22: { name: "IQ2_S" }, 23: { name: "IQ4_XS" }, 24: { name: "I8" },
  25: { name: "I16" }, 26: { name: "I32" }, 27: { name: "I64" }, 28: { name: "F64" }, 29: { name: "IQ1_M" },
  34: { name: "TQ1_0" }, 35: { name: "TQ2_0" }, 39: { name: "MXFP4" },
};

/** The tensor types {@link readGgufHeader} accepts, for messages. */
export const LOADABLE_GGUF_TYPES = Object.values(TENSOR_TYPES).filter((t) => t.block).map((t) => t.name);

/** Byte sizes of the fixed-size metadata value types (GGUF value type ids). */
const VALUE_BYTES: Readonly<Record<number, number>> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const STRING = 8;
const ARRAY = 9;
const UINT32 = 4;
const MAX_DIMS = 4;

/** What a GGUF header declares. */
export interface GgufHeader {
  version: number;
  tensors: (TensorExtent & { type: string; shape: number[] })[];
  /** Sum of the tensors' sizes. */
  totalBytes: number;
}

interface TensorInfo {
  name: string;
  dims: number[];
  typeId: number;
  offset: number;
}

type Fail = (why: string) => CheckpointError;

function skipValue(r: ByteCursor, type: number, nested: boolean, fail: Fail): void {
  if (type === STRING) return r.skip(r.u64());
  const size = VALUE_BYTES[type];
  if (size !== undefined) return r.skip(size);
  if (type !== ARRAY || nested) throw fail(`metadata value of unknown type ${type}; the file is corrupt`);
  const itemType = r.u32();
  const count = r.u64();
  if (itemType !== STRING && VALUE_BYTES[itemType] !== undefined) return r.skip(count * VALUE_BYTES[itemType]);
  for (let i = 0; i < count; i++) skipValue(r, itemType, true, fail);
}

function readString(r: ByteCursor): string {
  return new TextDecoder().decode(r.bytes(r.u64()));
}

/** Header fields up to the data section: metadata is skipped except general.alignment. */
function parseInfos(r: ByteCursor, fail: Fail): { version: number; infos: TensorInfo[]; dataStart: number } {
  const magic = r.bytes(4);
  if (new TextDecoder().decode(magic) !== "GGUF") {
    throw fail(`does not start with the GGUF magic (found ${JSON.stringify(new TextDecoder().decode(magic))}); not a GGUF file or corrupt`);
  }
  const version = r.u32();
  if (version !== 2 && version !== 3) throw fail(`GGUF version ${version} is not supported (2 or 3)`);
  const tensorCount = r.u64();
  const kvCount = r.u64();
  let alignment = 32;
  for (let i = 0; i < kvCount; i++) {
    const key = readString(r);
    const type = r.u32();
    if (key === "general.alignment" && type === UINT32) alignment = r.u32();
    else skipValue(r, type, false, fail);
  }
  if (alignment === 0) throw fail("general.alignment is 0");
  const infos: TensorInfo[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const name = readString(r);
    // MLX fails on a repeated name with a message that prints the whole tensor.
    if (names.has(name)) throw fail(`tensor '${name}' appears twice; the file is corrupt`);
    names.add(name);
    const ndim = r.u32();
    if (ndim > MAX_DIMS) throw fail(`tensor '${name}' has ${ndim} dimensions (at most ${MAX_DIMS})`);
    const dims = Array.from({ length: ndim }, () => r.u64());
    infos.push({ name, dims, typeId: r.u32(), offset: r.u64() });
  }
  const dataStart = Math.ceil(r.pos / alignment) * alignment;
  return { version, infos, dataStart };
}

function tensorOf(path: string, info: TensorInfo, dataStart: number, fileSize: number): GgufHeader["tensors"][number] {
  const type = TENSOR_TYPES[info.typeId];
  const bad = (why: string) => new CheckpointError(path, `tensor '${info.name}' ${why}`);
  if (!type?.block) {
    throw bad(`has type ${type?.name ?? `#${info.typeId}`}, which vllm-mlx does not load (supported: ${LOADABLE_GGUF_TYPES.join(", ")})`);
  }
  const [items, blockBytes] = type.block;
  const count = info.dims.reduce((n, d) => n * d, 1);
  if ((info.dims[0] ?? 1) % items !== 0) throw bad(`is ${type.name} but its rows (${info.dims[0]}) are not whole blocks of ${items}`);
  const bytes = (count / items) * blockBytes;
  const start = dataStart + info.offset;
  if (!Number.isFinite(start + bytes) || start + bytes > fileSize) {
    throw bad(`ends at byte ${start + bytes} but the file has ${fileSize} (truncated?)`);
  }
  return { name: info.name, start, bytes, type: type.name, shape: [...info.dims].reverse() };
}

/**
 * Reads and checks a .gguf header: GGUF magic and version 2/3, metadata and tensor infos inside the file,
 * every tensor of a type we load ({@link LOADABLE_GGUF_TYPES}) with its bytes inside the file.
 * Throws {@link CheckpointError} naming the file.
 *
 * @example
 *   readGgufHeader("SmolLM2-135M-Instruct.Q4_1.gguf").tensors.length; // 272
 */
export function readGgufHeader(path: string): GgufHeader {
  return withFileHead(path, (head) => {
    const fail = (why: string) => new CheckpointError(path, why);
    const { version, infos, dataStart } = parseGrowing(head, (r) => parseInfos(r, fail), (limit) =>
      fail(limit < head.size
        ? `header is larger than ${formatSize(limit)}; the file is corrupt`
        : `header runs past the end of the file (${head.size} bytes); truncated or not a GGUF file`));
    const tensors = infos.map((info) => tensorOf(path, info, dataStart, head.size));
    return { version, tensors, totalBytes: tensors.reduce((n, t) => n + t.bytes, 0) };
  });
}
