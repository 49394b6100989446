import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { buildIcns, encodePng, ICNS_ENTRIES, renderIcon } from "./icon.ts";
import { writeZip } from "./zip.ts";

const scratch = mkdtempSync(join(os.tmpdir(), "vllm-mlx-app-bundle-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Reads a PNG's chunks, checking each CRC; returns IHDR's size and the inflated rows. */
function readPng(png: Uint8Array): { width: number; height: number; rows: Uint8Array } {
  expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let [offset, width, height] = [8, 0, 0];
  const idat: Uint8Array[] = [];
  while (offset < png.length) {
    const length = view.getUint32(offset);
    const type = new TextDecoder().decode(png.subarray(offset + 4, offset + 8));
    const data = png.subarray(offset + 8, offset + 8 + length);
    expect(view.getUint32(offset + 8 + length)).toBe(Bun.hash.crc32(png.subarray(offset + 4, offset + 8 + length)));
    if (type === "IHDR") [width, height] = [view.getUint32(offset + 8), view.getUint32(offset + 12)];
    if (type === "IDAT") idat.push(data);
    offset += 12 + length;
  }
  return { width, height, rows: new Uint8Array(inflateSync(Buffer.concat(idat))) };
}

describe("the app icon", () => {
  test("a valid RGBA PNG: transparent corners, an opaque body, a white glyph", () => {
    const size = 64;
    const { width, height, rows } = readPng(encodePng(renderIcon(size), size, size));
    expect([width, height]).toEqual([size, size]);
    expect(rows.length).toBe(size * (size * 4 + 1));
    const pixel = (x: number, y: number) => [...rows.subarray(y * (size * 4 + 1) + 1 + x * 4, y * (size * 4 + 1) + 1 + x * 4 + 4)];
    expect(pixel(0, 0)[3]).toBe(0);
    expect(pixel(size / 2, size / 8)[3]).toBe(255);
    expect(pixel(Math.round(0.3 * size), Math.round(0.3 * size))).toEqual([255, 255, 255, 255]);
  });

  test("the .icns holds every entry macOS reads, each a PNG of its size", () => {
    const icns = buildIcns();
    const view = new DataView(icns.buffer, icns.byteOffset, icns.byteLength);
    expect(new TextDecoder().decode(icns.subarray(0, 4))).toBe("icns");
    expect(view.getUint32(4)).toBe(icns.length);
    const seen: [string, number][] = [];
    for (let offset = 8; offset < icns.length; offset += view.getUint32(offset + 4)) {
      const type = new TextDecoder().decode(icns.subarray(offset, offset + 4));
      seen.push([type, readPng(icns.subarray(offset + 8, offset + view.getUint32(offset + 4))).width]);
    }
    expect(seen).toEqual(ICNS_ENTRIES.map(([type, size]) => [type, size]));
  });
});

describe("the zip writer", () => {
  test("python's zipfile reads it back: names, contents and the executable bit", () => {
    const root = join(scratch, "tree");
    mkdirSync(join(root, "X.app", "Contents", "MacOS"), { recursive: true });
    writeFileSync(join(root, "X.app", "Contents", "Info.plist"), "<plist/>");
    const exe = join(root, "X.app", "Contents", "MacOS", "x");
    writeFileSync(exe, "#!/bin/sh\necho hi\n".repeat(100));
    chmodSync(exe, 0o755);
    const zip = join(scratch, "x.zip");
    writeZip(zip, root, ["X.app"]);
    const script = "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\n" +
      "for i in z.infolist(): print(i.filename, oct(i.external_attr >> 16), len(z.read(i)))";
    const out = Bun.spawnSync(["python3", "-c", script, zip]);
    expect(out.exitCode, out.stderr.toString()).toBe(0);
    expect(out.stdout.toString().trim().split("\n")).toEqual([
      "X.app/ 0o40755 0", "X.app/Contents/ 0o40755 0", "X.app/Contents/Info.plist 0o100644 8",
      "X.app/Contents/MacOS/ 0o40755 0", `X.app/Contents/MacOS/x 0o100755 ${"#!/bin/sh\necho hi\n".length * 100}`,
    ]);
  });
});
