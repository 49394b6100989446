import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import * as mx from "../mlx/index.ts";
import { loadTokenizer } from "../tokenizer/index.ts";
import { loadPoolingModel } from "./load-pooling.ts";
import type { PoolingTask } from "./pooling-config.ts";
import { BertPooler, DecoderPooler, type PoolerInput } from "./pooling-model.ts";
import { type PoolingFixture, writePoolingModel } from "./pooling-testing.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function fixture(kind: PoolingFixture, task?: PoolingTask) {
  const dir = writePoolingModel(kind);
  dirs.push(dir);
  return { dir, model: await loadPoolingModel(dir, task), tokenizer: await loadTokenizer(dir) };
}

const TEXTS = ["hello world", "the quick brown foxes, a dog!", "what is the capital of france ?"];

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! ** 2;
  return Math.sqrt(s);
}

/** Rows of a [1, L, D] array as JS arrays. */
function hiddenRows(h: mx.Array): number[][] {
  const [, L, D] = h.shape as [number, number, number];
  const flat = h.toList();
  return Array.from({ length: L }, (_, i) => flat.slice(i * D, (i + 1) * D));
}

describe("BERT embedder (random weights, mean pooling + normalize)", () => {
  test("a padded batch of different lengths equals each input alone, and equals mean pooling done in JS", async () => {
    const { model, tokenizer } = await fixture("bert-embed");
    expect(model).toBeInstanceOf(BertPooler);
    expect(model.config).toMatchObject({ task: "embed", pooling: "mean", normalize: true, matryoshka: false });
    expect(model.maxModelLen).toBe(48); // sentence_bert_config's max_seq_length under 64 positions
    const inputs: PoolerInput[] = TEXTS.map((t) => ({ tokenIds: tokenizer.encode(t) }));
    expect(new Set(inputs.map((i) => i.tokenIds.length)).size).toBe(3);
    const batched = model.run(inputs);
    const bert = (model as BertPooler).bert;
    inputs.forEach((input, b) => {
      const [alone] = model.run([input]);
      expect(maxDiff(batched[b]!, alone!)).toBeLessThan(1e-5);
      expect(norm(batched[b]!)).toBeCloseTo(1, 5);
      // Reference: the unpadded hidden states, averaged and normalized here.
      const L = input.tokenIds.length;
      using tokens = mx.array([[...input.tokenIds]], { dtype: "int32" });
      using types = mx.zeros([1, L], "int32");
      using valid = mx.array([Array(L).fill(1)], { dtype: "bool" });
      using hidden = bert.forward({ tokens, tokenTypes: types, valid });
      const rows = hiddenRows(hidden);
      const mean = rows[0]!.map((_, d) => rows.reduce((s, r) => s + r[d]!, 0) / L);
      const n = norm(mean);
      expect(maxDiff(batched[b]!, mean.map((x) => x / n))).toBeLessThan(1e-5);
    });
  });
});

describe("BERT cross-encoder (random weights)", () => {
  test("score = sigmoid(classifier(tanh(pooler([CLS])))) of each pair, computed in JS from the weights", async () => {
    const { dir, model, tokenizer } = await fixture("bert-rerank");
    expect(model.config).toMatchObject({ task: "score", scoreHead: "classifier" });
    const { arrays } = mx.loadSafetensors(join(dir, "model.safetensors"));
    const w = (name: string) => arrays.get(name)!.toList();
    const [wp, bp, wc, bc] = [w("bert.pooler.dense.weight"), w("bert.pooler.dense.bias"), w("classifier.weight"), w("classifier.bias")];
    for (const a of arrays.values()) a.dispose();
    const q = tokenizer.encode("what is paris");
    const pairs: PoolerInput[] = ["paris capital of france", "a dog"].map((d) => {
      const doc = tokenizer.encode(d, { addSpecialTokens: false });
      const tokenIds = [...q, ...doc, 3];
      return { tokenIds, tokenTypeIds: tokenIds.map((_, i) => (i < q.length ? 0 : 1)) };
    });
    const scores = model.run(pairs);
    const bert = (model as BertPooler).bert;
    pairs.forEach((pair, b) => {
      const L = pair.tokenIds.length;
      using tokens = mx.array([[...pair.tokenIds]], { dtype: "int32" });
      using types = mx.array([[...pair.tokenTypeIds!]], { dtype: "int32" });
      using valid = mx.array([Array(L).fill(1)], { dtype: "bool" });
      using hidden = bert.forward({ tokens, tokenTypes: types, valid });
      const cls = hiddenRows(hidden)[0]!;
      const D = cls.length;
      const pooled = Array.from({ length: D }, (_, o) => Math.tanh(bp[o]! + cls.reduce((s, x, i) => s + x * wp[o * D + i]!, 0)));
      const logit = bc[0]! + pooled.reduce((s, x, i) => s + x * wc[i]!, 0);
      expect(scores[b]!.length).toBe(1);
      expect(scores[b]![0]!).toBeCloseTo(1 / (1 + Math.exp(-logit)), 5);
    });
  });
});

describe("Qwen3 decoder poolers (random weights)", () => {
  test("embedder: bare Qwen3Model tensors load; batched last-token vectors equal each input's last hidden state, normalized", async () => {
    const { model, tokenizer } = await fixture("qwen3-embed");
    expect(model).toBeInstanceOf(DecoderPooler);
    expect(model.config).toMatchObject({ task: "embed", pooling: "last", normalize: true, matryoshka: true });
    const inputs = TEXTS.map((t) => ({ tokenIds: tokenizer.encode(t) }));
    expect(inputs[0]!.tokenIds.at(-1)).toBe(tokenizer.tokenToId("<|endoftext|>")!);
    const batched = model.run(inputs);
    const decoder = (model as DecoderPooler).model;
    inputs.forEach((input, b) => {
      using tokens = mx.array([[...input.tokenIds]], { dtype: "int32" });
      const caches = decoder.makeCache();
      using hidden = decoder.hiddenStates(tokens, caches);
      for (const c of caches) c.dispose();
      const last = hiddenRows(hidden).at(-1)!;
      const n = norm(last);
      expect(maxDiff(batched[b]!, last.map((x) => x / n))).toBeLessThan(1e-4);
    });
  });

  test("yes/no reranker: score = softmax over the generation path's [no, yes] logits at the last position", async () => {
    const { model, tokenizer } = await fixture("qwen3-rerank", "score"); // Qwen3-Reranker is a *ForCausalLM: --task score
    expect(model.config).toMatchObject({ task: "score", scoreHead: "yes_no" });
    const [yes, no] = [tokenizer.tokenToId("yes")!, tokenizer.tokenToId("no")!];
    const inputs = TEXTS.map((t) => ({ tokenIds: tokenizer.encode(t, { addSpecialTokens: false }) }));
    const scores = model.run(inputs);
    const decoder = (model as DecoderPooler).model;
    inputs.forEach((input, b) => {
      using tokens = mx.array([[...input.tokenIds]], { dtype: "int32" });
      const caches = decoder.makeCache();
      using logits = decoder.forward(tokens, caches, { lastOnly: true });
      for (const c of caches) c.dispose();
      const row = logits.toList();
      const p = 1 / (1 + Math.exp(row[no]! - row[yes]!));
      expect(scores[b]![0]!).toBeCloseTo(p, 5);
    });
  });
});
