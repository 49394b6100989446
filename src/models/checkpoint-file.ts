/**
 * Reading a checkpoint file's header in plain TypeScript, before MLX sees the file: MLX trusts sizes and
 * offsets (a truncated GGUF is read past its mapping, a short safetensors file is read on first use), so every
 * length is checked against the file size here and a bad file becomes a {@link CheckpointError}.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/** A weights file that is truncated, corrupt or holds something we cannot load. The message names the file. */
export class CheckpointError extends Error {
  override readonly name = "CheckpointError";
  constructor(
    readonly path: string,
    /** What is wrong, without the path. */
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/** One tensor as a header declares it: its byte range in the file and its size. */
export interface TensorExtent {
  name: string;
  /** Absolute offset of the first byte. */
  start: number;
  bytes: number;
}

/** Bytes read past the end of what was loaded; the caller reads more or reports truncation. */
export class OutOfBytes extends Error {}

/**
 * Little-endian cursor over the first bytes of a file. Reading past them throws {@link OutOfBytes}.
 *
 * @example
 *   const r = new ByteCursor(bytes); r.u32(); r.u64();
 */
export class ByteCursor {
  readonly #view: DataView;
  readonly #bytes: Uint8Array;
  pos = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  #take(n: number): number {
    if (n < 0 || this.pos + n > this.#bytes.byteLength) throw new OutOfBytes();
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.#view.getUint8(this.#take(1));
  }

  u32(): number {
    return this.#view.getUint32(this.#take(4), true);
  }

  /** A u64 as a number; values past 2^53 are returned as Infinity so every size check fails. */
  u64(): number {
    const v = this.#view.getBigUint64(this.#take(8), true);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(v);
  }

  skip(n: number): void {
    this.#take(n);
  }

  bytes(n: number): Uint8Array {
    const at = this.#take(n);
    return this.#bytes.subarray(at, at + n);
  }
}

/** The file's size and a reader of its first bytes. */
export interface FileHead {
  size: number;
  /** The first `n` bytes (fewer when the file is shorter). */
  read(n: number): Uint8Array;
}

/**
 * Opens `path` for header reading and runs `use`; the file is closed afterwards.
 *
 * @example
 *   const size = withFileHead(path, (head) => head.size);
 */
export function withFileHead<T>(path: string, use: (head: FileHead) => T): T {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new CheckpointError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const size = fstatSync(fd).size;
    const read = (n: number) => {
      const buf = new Uint8Array(Math.min(n, size));
      let got = 0;
      while (got < buf.byteLength) {
        const k = readSync(fd, buf, got, buf.byteLength - got, got);
        if (k === 0) break;
        got += k;
      }
      return buf.subarray(0, got);
    };
    return use({ size, read });
  } finally {
    closeSync(fd);
  }
}

/** The most header bytes {@link parseGrowing} reads (a real GGUF header with a 256k vocabulary is ~10 MiB). */
const MAX_HEADER_BYTES = 256 * 2 ** 20;

/**
 * Parses a header whose length is not known in advance: reads 1 MiB, and doubles the read while the parser
 * runs out of bytes, up to the whole file or 256 MiB. `tooLong(limit)` builds the error for a header that does
 * not end within `limit` bytes (the file size when the file is smaller).
 */
export function parseGrowing<T>(head: FileHead, parse: (cursor: ByteCursor) => T, tooLong: (limit: number) => Error): T {
  const limit = Math.min(head.size, MAX_HEADER_BYTES);
  for (let n = Math.min(limit, 1 << 20); ; n = Math.min(limit, n * 2)) {
    try {
      return parse(new ByteCursor(head.read(n)));
    } catch (e) {
      if (!(e instanceof OutOfBytes)) throw e;
      if (n >= limit) throw tooLong(limit);
    }
  }
}

/** Bytes as `1.23 GiB` / `456 MiB` / `789 bytes`. */
export function formatSize(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${bytes} bytes`;
}
