import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as mx from "../mlx/index.ts";
import { GGML, writeGguf } from "./checkpoint-testing.ts";
import { modelCacheDir, DEFAULT_MODEL_SOURCE } from "./default-model.ts";
import { readGgufHeader } from "./gguf-header.ts";
import { writeTinyModel } from "./gguf-testing.ts";

const dir = mkdtempSync(join(tmpdir(), "gguf-header-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("readGgufHeader", () => {
  test("agrees with MLX on a file MLX wrote (metadata with a string list, F32 tensors)", async () => {
    const { gguf } = await writeTinyModel(dir, { arch: "qwen3" });
    const header = readGgufHeader(gguf);
    const loaded = mx.loadGguf(gguf).arrays;
    expect(Object.fromEntries(header.tensors.map((t) => [t.name, t.shape])))
      .toEqual(Object.fromEntries([...loaded].map(([k, v]) => [k, v.shape])));
    expect(header.totalBytes).toBe([...loaded.values()].reduce((n, v) => n + v.nbytes, 0));
    for (const v of loaded.values()) v.dispose();
  });

  test.skipIf(!existsSync(join(modelCacheDir(), DEFAULT_MODEL_SOURCE.cacheName)))("reads the real default model (Q4_1, Q8_0 and F32 tensors)", () => {
    const header = readGgufHeader(join(modelCacheDir(), DEFAULT_MODEL_SOURCE.cacheName));
    expect(header.version).toBe(3);
    expect(new Set(header.tensors.map((t) => t.type))).toEqual(new Set(["Q4_1", "Q8_0", "F32"]));
    expect(header.tensors.find((t) => t.name === "token_embd.weight")?.shape).toEqual([49152, 576]);
  });

  test("rejects a tensor type MLX would drop silently, and more than 4 dimensions", () => {
    const path = join(dir, "odd-type.gguf");
    writeGguf(path, { "general.architecture": "llama" }, [{ name: "output_norm.weight", shape: [64], type: GGML.F32 }]);
    const bytes = readFileSync(path);
    const typeAt = bytes.indexOf("output_norm.weight") + "output_norm.weight".length + 4 + 8;
    bytes.writeUInt32LE(99, typeAt);
    writeFileSync(path, bytes);
    expect(() => readGgufHeader(path)).toThrow(`${path}: tensor 'output_norm.weight' has type #99, which vllm-mlx does not load`);
    bytes.writeUInt32LE(5, typeAt - 12);
    writeFileSync(path, bytes);
    expect(() => readGgufHeader(path)).toThrow(`${path}: tensor 'output_norm.weight' has 5 dimensions (at most 4)`);
  });

  test("a tensor name that appears twice is rejected before MLX (which prints the tensor in its error)", () => {
    const path = join(dir, "dup.gguf");
    const tensors = [{ name: "blk.0.attn_norm.weight", shape: [64], type: GGML.F32 }, { name: "blk.1.attn_norm.weight", shape: [64], type: GGML.F32 }];
    writeGguf(path, { "general.architecture": "llama" }, tensors);
    expect(readGgufHeader(path).tensors.map((t) => t.name)).toEqual(["blk.0.attn_norm.weight", "blk.1.attn_norm.weight"]);
    const bytes = readFileSync(path);
    bytes.write("blk.0", bytes.indexOf("blk.1.attn_norm.weight"));
    writeFileSync(path, bytes);
    expect(() => readGgufHeader(path)).toThrow(`${path}: tensor 'blk.0.attn_norm.weight' appears twice; the file is corrupt`);
  });

  test("a file cut inside its metadata is reported as truncated", () => {
    const path = join(dir, "cut.gguf");
    writeGguf(path, { "tokenizer.ggml.tokens": Array.from({ length: 500 }, (_, i) => `t${i}`) }, []);
    writeFileSync(path, readFileSync(path).subarray(0, 1000));
    expect(() => readGgufHeader(path)).toThrow(`${path}: header runs past the end of the file (1000 bytes); truncated or not a GGUF file`);
  });
});
