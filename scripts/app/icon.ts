/**
 * The app icon, drawn here (no downloads, no image library): a rounded square in a blue-to-violet gradient with
 * a white "V" and a spark, rendered at each size macOS asks for, encoded as PNG and packed into an .icns file.
 *
 * @example
 *   writeFileSync("vLLM-MLX.icns", buildIcns());
 */
import { deflateSync } from "node:zlib";

/** Signed distance from (px, py) to the segment a-b, minus half its width. */
function strokeDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number, width: number): number {
  const [dx, dy] = [bx - ax, by - ay];
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy)) - width / 2;
}

/** Signed distance to a rounded square filling [m, 1 - m] with corner radius r (unit coordinates). */
function roundedSquareDistance(x: number, y: number, m: number, r: number): number {
  const qx = Math.abs(x - 0.5) - (0.5 - m - r);
  const qy = Math.abs(y - 0.5) - (0.5 - m - r);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

/** The icon as RGBA bytes, `size` by `size`, anti-aliased over one pixel. */
export function renderIcon(size: number): Uint8Array {
  const rgba = new Uint8Array(size * size * 4);
  const aa = 1 / size;
  const cover = (d: number) => Math.max(0, Math.min(1, 0.5 - d / aa));
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      const [x, y] = [(i + 0.5) / size, (j + 0.5) / size];
      const body = cover(roundedSquareDistance(x, y, 0.09, 0.18));
      const v = Math.min(strokeDistance(x, y, 0.3, 0.3, 0.5, 0.72, 0.11), strokeDistance(x, y, 0.7, 0.3, 0.5, 0.72, 0.11));
      const spark = Math.hypot(x - 0.72, y - 0.7) - 0.06;
      const glyph = Math.max(cover(v), cover(spark));
      const t = (x + y) / 2;
      const base = [31 + t * 110, 95 - t * 40, 191 + t * 40];
      const o = (j * size + i) * 4;
      for (let c = 0; c < 3; c++) rgba[o + c] = Math.round(base[c]! * (1 - glyph) + 255 * glyph);
      rgba[o + 3] = Math.round(255 * body);
    }
  }
  return rgba;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, Bun.hash.crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** PNG of 8-bit RGBA pixels (filter 0 on every row). */
export function encodePng(rgba: Uint8Array, width: number, height: number): Uint8Array {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 6, 0, 0, 0], 8); // bit depth 8, colour type RGBA, deflate, no filter method, no interlace
  const raw = new Uint8Array(height * (width * 4 + 1));
  for (let row = 0; row < height; row++) raw.set(rgba.subarray(row * width * 4, (row + 1) * width * 4), row * (width * 4 + 1) + 1);
  const parts = [new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", header), chunk("IDAT", deflateSync(raw)), chunk("IEND", new Uint8Array())];
  return Buffer.concat(parts);
}

/** The .icns entries macOS reads, each a PNG: type and pixel size. */
export const ICNS_ENTRIES = [
  ["icp4", 16], ["icp5", 32], ["icp6", 64], ["ic07", 128], ["ic08", 256], ["ic09", 512], ["ic10", 1024],
  ["ic11", 32], ["ic12", 64], ["ic13", 256], ["ic14", 512],
] as const;

/** The .icns file: `icns`, its length, then each entry's type, length and PNG. */
export function buildIcns(): Uint8Array {
  const pngs = new Map<number, Uint8Array>();
  const entries = ICNS_ENTRIES.map(([type, size]) => {
    if (!pngs.has(size)) pngs.set(size, encodePng(renderIcon(size), size, size));
    const png = pngs.get(size)!;
    const entry = new Uint8Array(8 + png.length);
    entry.set(new TextEncoder().encode(type), 0);
    new DataView(entry.buffer).setUint32(4, entry.length);
    entry.set(png, 8);
    return entry;
  });
  const total = 8 + entries.reduce((n, e) => n + e.length, 0);
  const head = new Uint8Array(8);
  head.set(new TextEncoder().encode("icns"), 0);
  new DataView(head.buffer).setUint32(4, total);
  return Buffer.concat([head, ...entries]);
}
