/**
 * A deterministic zip of a folder (deflate, fixed 1980-01-01 timestamps, Unix modes kept so the app's executable
 * stays executable), written without the `zip` tool. Files over 4 GiB are refused (no zip64).
 *
 * @example
 *   writeZip("dist/vLLM-MLX.app.zip", "dist", ["vLLM-MLX.app"]);
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateRawSync } from "node:zlib";

const DOS_DATE_1980 = (0 << 9) | (1 << 5) | 1; // 1980-01-01
const DOS_TIME_0 = 0;

function walk(root: string, rel: string): string[] {
  const abs = join(root, rel);
  if (!statSync(abs).isDirectory()) return [rel];
  return [`${rel}/`, ...readdirSync(abs).sort().flatMap((name) => walk(root, `${rel}/${name}`))];
}

/** Writes `out` holding `paths` (relative to `root`, folders recursively) in sorted order. */
export function writeZip(out: string, root: string, paths: string[]): void {
  const local: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const rel of paths.flatMap((p) => walk(root, p))) {
    const isDir = rel.endsWith("/");
    const mode = statSync(join(root, rel)).mode & 0o777;
    const data = isDir ? new Uint8Array() : new Uint8Array(readFileSync(join(root, rel)));
    const packed = isDir ? data : deflateRawSync(data, { level: 6 });
    if (data.length >= 2 ** 32 - 1) throw new Error(`${rel} is too large for a zip without zip64`);
    const name = new TextEncoder().encode(rel);
    const crc = Bun.hash.crc32(data);
    const method = isDir ? 0 : 8;
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(20, 4); // version needed
    head.writeUInt16LE(0x0800, 6); // UTF-8 names
    head.writeUInt16LE(method, 8);
    head.writeUInt16LE(DOS_TIME_0, 10);
    head.writeUInt16LE(DOS_DATE_1980, 12);
    head.writeUInt32LE(crc, 14);
    head.writeUInt32LE(packed.length, 18);
    head.writeUInt32LE(data.length, 22);
    head.writeUInt16LE(name.length, 26);
    local.push(head, name, packed);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the external attributes carry the mode
    head.copy(entry, 6, 4, 30);
    entry.writeUInt32LE(((((isDir ? 0o040000 : 0o100000) | mode) << 16) | (isDir ? 0x10 : 0)) >>> 0, 38);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, name);
    offset += head.length + name.length + packed.length;
  }
  const size = central.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(central.length / 2, 8);
  end.writeUInt16LE(central.length / 2, 10);
  end.writeUInt32LE(size, 12);
  end.writeUInt32LE(offset, 16);
  writeFileSync(out, Buffer.concat([...local, ...central, end]));
}
