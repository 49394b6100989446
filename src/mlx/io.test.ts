import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as mx from "./index.ts";

const dir = mkdtempSync(join(tmpdir(), "vmlx-io-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SAMPLES: [mx.Dtype, number[], number[]][] = [
  ["float32", [2, 3], [0.5, -1.25, 2 ** -25, 1e6, -0, 7]],
  ["float16", [3], [0.5, -2, 65504]],
  ["bfloat16", [2, 2], [1, -0.5, 3.140625, -(2 ** 100)]],
  ["int32", [4], [-2147483648, -1, 0, 2147483647]],
  ["uint32", [2], [0, 4294967295]],
  ["uint8", [1, 3], [0, 128, 255]],
  ["bool", [3], [1, 0, 1]],
];

describe("safetensors", () => {
  test("roundtrip of every common dtype with metadata", () => {
    const arrays = new Map(SAMPLES.map(([dtype, shape, v]) => [`t.${dtype}`, mx.array(v, { dtype, shape })]));
    const path = join(dir, "all.safetensors");
    const metadata = { format: "mlx", note: 'quotes " and \\ and\nnewlines, é 🙂' };
    mx.saveSafetensors(path, arrays, metadata);
    const loaded = mx.loadSafetensors(path);
    expect(loaded.metadata).toEqual(metadata);
    expect([...loaded.arrays.keys()].sort()).toEqual([...arrays.keys()].sort());
    for (const [dtype, shape, v] of SAMPLES) {
      const a = loaded.arrays.get(`t.${dtype}`)!;
      expect(a.dtype).toBe(dtype);
      expect(a.shape).toEqual(shape);
      expect(a.toList()).toEqual(v);
      a.dispose();
    }
    for (const a of arrays.values()) a.dispose();
  });

  test("a plain record of arrays and no metadata", () => {
    const path = join(dir, "record.safetensors");
    using w = mx.array([[1, 2], [3, 4]], { dtype: "float32" });
    mx.saveSafetensors(path, { "model.w": w });
    const { arrays, metadata } = mx.loadSafetensors(path);
    expect(metadata).toEqual({});
    expect(arrays.get("model.w")!.toList()).toEqual([1, 2, 3, 4]);
  });

  test("a missing file is an MlxError naming the file, and the process goes on", () => {
    const path = join(dir, "does-not-exist.safetensors");
    let err: unknown;
    try {
      mx.loadSafetensors(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(mx.MlxError);
    expect((err as mx.MlxError).message).toContain(path);
    using a = mx.array([[1, 2]], { dtype: "float32" });
    using b = mx.array([[3], [4]], { dtype: "float32" });
    using y = mx.matmul(a, b);
    expect(y.toList()).toEqual([11]);
  });

  test("saving into a missing directory is an MlxError", () => {
    using a = mx.array([1], { dtype: "float32" });
    expect(() => mx.saveSafetensors(join(dir, "no", "such", "dir.safetensors"), { a })).toThrow(mx.MlxError);
  });

  test("a file that is not safetensors is an MlxError", async () => {
    const path = join(dir, "garbage.safetensors");
    await Bun.write(path, "this is not a safetensors header");
    expect(() => mx.loadSafetensors(path)).toThrow(mx.MlxError);
  });
});

describe("gguf", () => {
  test("roundtrip of f32 tensors and metadata", () => {
    const path = join(dir, "tiny.gguf");
    const vocab = Array.from({ length: 20000 }, (_, i) => `tok${i}`);
    vocab[1] = 'q"uote';
    vocab[2] = "back\\slash";
    vocab[3] = "line\nbreak\ttab\u0001";
    vocab[4] = "é 🙂 ▁the";
    using w = mx.array(Array.from({ length: 12 }, (_, i) => i * 0.5 - 2), { shape: [3, 4], dtype: "float32" });
    using b = mx.array([1.5, -2.5, 0.25], { dtype: "float32" });
    using ctx = mx.array(32768, { dtype: "uint32" });
    mx.saveGguf(path, { "blk.0.w": w, "blk.0.b": b }, {
      "general.architecture": "llama",
      "general.name": "tiny test",
      "llama.block_count": 2,
      "llama.rope.freq_base": 500000.5,
      "llama.context_length": ctx,
      "tokenizer.ggml.tokens": vocab,
      "tokenizer.ggml.scores": [0.5, -1.25, 3],
      "tokenizer.ggml.token_type": [1],
    });
    const { arrays, metadata } = mx.loadGguf(path);
    expect(metadata["general.architecture"]).toBe("llama");
    expect(metadata["general.name"]).toBe("tiny test");
    expect(metadata["llama.block_count"]).toBe(2);
    expect(metadata["llama.rope.freq_base"]).toBe(500000.5);
    expect(metadata["llama.context_length"]).toBe(32768);
    expect(metadata["tokenizer.ggml.tokens"]).toEqual(vocab);
    expect(metadata["tokenizer.ggml.scores"]).toEqual([0.5, -1.25, 3]);
    expect(metadata["tokenizer.ggml.token_type"]).toEqual([1]);
    const lw = arrays.get("blk.0.w")!;
    expect(lw.dtype).toBe("float32");
    expect(lw.shape).toEqual([3, 4]);
    expect(lw.toList()).toEqual(w.toList());
    expect(arrays.get("blk.0.b")!.toList()).toEqual([1.5, -2.5, 0.25]);
  });

  test("a missing file is an MlxError naming the file", () => {
    const path = join(dir, "missing.gguf");
    expect(() => mx.loadGguf(path)).toThrow(path);
    expect(() => mx.loadGguf(path)).toThrow(mx.MlxError);
  });

  test("an empty metadata list is rejected before reaching MLX", () => {
    using w = mx.array([1], { dtype: "float32" });
    expect(() => mx.saveGguf(join(dir, "bad.gguf"), { w }, { empty: [] })).toThrow(mx.MlxError);
  });
});
