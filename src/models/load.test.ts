import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as mx from "../mlx/index.ts";
import { QuantizedLinear } from "../nn/linear.ts";
import { WeightError } from "../nn/weights.ts";
import { writeTinyModel } from "../engine/runner/testing.ts";
import { ConfigError } from "./config.ts";
import { loadModelDir } from "./load.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const PROMPT = [3, 17, 42, 9, 100];

function tiny(): string {
  // Every input dimension a multiple of 128, so all group sizes apply.
  const dir = writeTinyModel("llama", { seed: 5, hiddenSize: 128, headDim: 32, intermediateSize: 256 });
  dirs.push(dir);
  return dir;
}

async function lastLogits(dir: string): Promise<number[]> {
  const { model } = await loadModelDir(dir);
  const caches = model.makeCache();
  using tokens = mx.array([PROMPT], { dtype: "int32" });
  using logits = model.forward(tokens, caches, { lastOnly: true });
  for (const c of caches) c.dispose();
  return logits.toList();
}

function readTensors(dir: string): Map<string, mx.Array> {
  return mx.loadSafetensors(join(dir, "model.safetensors")).arrays;
}

function editConfig(dir: string, edit: (c: Record<string, unknown>) => void): void {
  const p = join(dir, "config.json");
  const c = JSON.parse(readFileSync(p, "utf8")) as Record<string, unknown>;
  edit(c);
  writeFileSync(p, JSON.stringify(c));
}

describe("loading MLX/HF model folders", () => {
  test("a checkpoint sharded over two files with an index gives the same logits", async () => {
    const dir = tiny();
    const want = await lastLogits(dir);
    const tensors = readTensors(dir);
    const names = [...tensors.keys()].sort();
    const half = Math.ceil(names.length / 2);
    const shards = [names.slice(0, half), names.slice(half)];
    const weightMap: Record<string, string> = {};
    shards.forEach((part, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      mx.saveSafetensors(join(dir, file), new Map(part.map((n) => [n, tensors.get(n)!])));
      for (const n of part) weightMap[n] = file;
    });
    unlinkSync(join(dir, "model.safetensors"));
    writeFileSync(join(dir, "model.safetensors.index.json"), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    expect(await lastLogits(dir)).toEqual(want);
  });

  test("an index naming a missing shard is a WeightError that names the file", async () => {
    const dir = tiny();
    writeFileSync(join(dir, "model.safetensors.index.json"), JSON.stringify({ weight_map: { "a.weight": "gone.safetensors" } }));
    await expect(loadModelDir(dir)).rejects.toThrow(/gone\.safetensors/);
  });

  test("an index naming a shard outside the folder is refused before any file is opened", async () => {
    const dir = tiny();
    for (const shard of ["../model.safetensors", "/etc/passwd", "sub/../../x.safetensors"]) {
      writeFileSync(join(dir, "model.safetensors.index.json"), JSON.stringify({ weight_map: { "a.weight": shard } }));
      await expect(loadModelDir(dir)).rejects.toThrow(`lists ${JSON.stringify(shard)}, which is not a file inside the model folder`);
    }
  });

  test("an unknown model_type is a ConfigError listing the supported ones", async () => {
    const dir = tiny();
    editConfig(dir, (c) => (c.model_type = "mamba9"));
    const err = await loadModelDir(dir).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain("mamba9");
    expect((err as Error).message).toContain("qwen3");
  });

  test("a tensor of the wrong shape is a WeightError naming the tensor and its file", async () => {
    const dir = tiny();
    const tensors = readTensors(dir);
    tensors.set("model.layers.1.mlp.up_proj.weight", mx.zeros([7, 64]));
    mx.saveSafetensors(join(dir, "model.safetensors"), tensors);
    const err = await loadModelDir(dir).catch((e) => e);
    expect(err).toBeInstanceOf(WeightError);
    expect((err as Error).message).toContain("model.layers.1.mlp.up_proj.weight");
    expect((err as Error).message).toContain("model.safetensors");
    expect((err as Error).message).toContain("[7, 64]");
  });

  test("missing and unused tensors are WeightErrors", async () => {
    const missing = tiny();
    const t1 = readTensors(missing);
    t1.delete("model.norm.weight");
    mx.saveSafetensors(join(missing, "model.safetensors"), t1);
    await expect(loadModelDir(missing)).rejects.toThrow(/missing tensor 'model\.norm\.weight'/);
    const extra = tiny();
    const t2 = readTensors(extra);
    t2.set("model.layers.0.mystery.weight", mx.zeros([2]));
    mx.saveSafetensors(join(extra, "model.safetensors"), t2);
    await expect(loadModelDir(extra)).rejects.toThrow(/not used by the model: 'model\.layers\.0\.mystery\.weight'/);
  });

  for (const [bits, groupSize] of [[2, 32], [3, 64], [5, 128], [6, 32], [8, 128]] as const) {
    test(`affine ${bits}-bit group ${groupSize} with a per-layer override matches its dequantized twin`, async () => {
      const dense = tiny();
      const quant = tiny();
      const tensors = readTensors(dense);
      const out = new Map<string, mx.Array>();
      const deq = new Map<string, mx.Array>();
      const override = "model.layers.0.mlp.down_proj";
      for (const [name, w] of tensors) {
        const prefix = name.slice(0, -".weight".length);
        if (w.ndim !== 2) {
          out.set(name, w);
          deq.set(name, w);
          continue;
        }
        const p = prefix === override ? { bits: 8, groupSize: 32 } : { bits, groupSize };
        const q = mx.quantize(w, p);
        out.set(name, q.wq).set(`${prefix}.scales`, q.scales).set(`${prefix}.biases`, q.biases!);
        deq.set(name, mx.dequantize(q.wq, q.scales, q.biases, p));
      }
      mx.saveSafetensors(join(quant, "model.safetensors"), out);
      mx.saveSafetensors(join(dense, "model.safetensors"), deq);
      editConfig(quant, (c) => (c.quantization = { group_size: groupSize, bits, [override]: { group_size: 32, bits: 8 } }));
      const { model } = await loadModelDir(quant);
      const down = model.layers[0]!.mlp.down as QuantizedLinear;
      expect(down).toBeInstanceOf(QuantizedLinear);
      expect(down.params).toEqual({ bits: 8, groupSize: 32, mode: "affine" });
      expect((model.layers[1]!.mlp.down as QuantizedLinear).params).toEqual({ bits, groupSize, mode: "affine" });
      const got = await lastLogits(quant);
      const want = await lastLogits(dense);
      const scale = Math.max(...want.map(Math.abs));
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-3 * scale + 1e-4);
    });
  }
});
