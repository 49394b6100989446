import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as mx from "../mlx/index.ts";
import { CheckpointError } from "./checkpoint-file.ts";
import { readSafetensorsHeader } from "./safetensors-header.ts";

const dir = mkdtempSync(join(tmpdir(), "st-header-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A safetensors file with `header` as its JSON and `dataBytes` zero bytes after it. */
function rawFile(name: string, header: unknown, dataBytes: number): string {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const bytes = new Uint8Array(8 + json.byteLength + dataBytes);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  bytes.set(json, 8);
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe("readSafetensorsHeader", () => {
  test("agrees with MLX on a file MLX wrote: every tensor's size, and the total", () => {
    const path = join(dir, "mlx.safetensors");
    using a = mx.zeros([3, 5], "float32");
    using b = mx.zeros([7], "bfloat16");
    using c = mx.zeros([2, 2, 2], "uint32");
    mx.saveSafetensors(path, { a, b, c }, { format: "mlx" });
    const header = readSafetensorsHeader(path);
    const loaded = mx.loadSafetensors(path).arrays;
    expect(Object.fromEntries(header.tensors.map((t) => [t.name, t.bytes])))
      .toEqual(Object.fromEntries([...loaded].map(([k, v]) => [k, v.nbytes])));
    expect(header.totalBytes).toBe(60 + 14 + 32);
    for (const v of loaded.values()) v.dispose();
  });

  test("rejects a dtype MLX cannot load, data_offsets that disagree with the shape, and a non-object header", () => {
    const f64 = rawFile("f64.safetensors", { w: { dtype: "F64", shape: [2], data_offsets: [0, 16] } }, 16);
    expect(() => readSafetensorsHeader(f64)).toThrow(`${f64}: tensor 'w' has dtype "F64", which MLX cannot load`);
    const span = rawFile("span.safetensors", { w: { dtype: "F32", shape: [2, 3], data_offsets: [0, 20] } }, 24);
    expect(() => readSafetensorsHeader(span)).toThrow(`${span}: tensor 'w' is F32 [2,3] (24 bytes) but its data_offsets span 20`);
    const list = rawFile("list.safetensors", [1, 2, 3], 0);
    expect(() => readSafetensorsHeader(list)).toThrow(CheckpointError);
    expect(() => readSafetensorsHeader(join(dir, "absent.safetensors"))).toThrow(`${join(dir, "absent.safetensors")}: cannot be read (ENOENT)`);
  });

  test("__metadata__ must be a map of strings (MLX's reader fails on anything else with a bare JSON error)", () => {
    const w = { dtype: "F32", shape: [2], data_offsets: [0, 8] };
    const good = rawFile("meta-ok.safetensors", { __metadata__: { format: "mlx" }, w }, 8);
    expect(readSafetensorsHeader(good).tensors.map((t) => t.name)).toEqual(["w"]);
    for (const [i, metadata] of [5, "mlx", ["a"], { format: 3 }, { a: { b: "c" } }].entries()) {
      const path = rawFile(`meta-${i}.safetensors`, { __metadata__: metadata, w }, 8);
      expect(() => readSafetensorsHeader(path)).toThrow(`${path}: header's __metadata__ is not a map of strings; the file is corrupt`);
    }
  });
});
