/**
 * The model runner over a paged pool against the model's own contiguous forward (a fresh KVCache over the whole
 * sequence): prefill chunks at an offset, batched decodes of ragged lengths, mixed steps (decodes and prefill
 * chunks in one flattened forward) and their row order, pipelined decode tokens and shared prefix blocks. Tiny
 * random-weight models, fp32.
 */
import { describe, expect, test } from "bun:test";
import * as mx from "../../mlx/index.ts";
import type { DecoderModel } from "../../models/decoder.ts";
import type { ScheduledSequence, SchedulerOutput } from "../core/index.ts";
import { Sequence } from "../core/index.ts";
import { PagedKvPool } from "../paged/kv-pool.ts";
import { ModelRunner } from "./model-runner.ts";
import { asyncEvalsBy, hostArraysMadeBy, type TinyFamily, type TinyModelOptions, tinyModel } from "./testing.ts";

const BLOCK_SIZE = 4;
const VOCAB = 256;
/** fp32 logits of magnitude ~10; measured differences are at most about 7e-6 (summation order of paged attention). */
const TOLERANCE = 1e-4;

const FAMILIES: [TinyFamily, TinyModelOptions][] = [
  ["llama", { seed: 1 }],
  ["qwen3", { seed: 2 }],
  // A window of 5 so chunks and decodes reach past it; Gemma 2 adds soft-capping.
  ["gemma3_text", { seed: 3, slidingWindow: 5 }],
  ["gemma2", { seed: 4, slidingWindow: 5 }],
];

function runnerFor(model: DecoderModel): ModelRunner {
  const c = model.spec.config;
  return new ModelRunner(model, new PagedKvPool({
    numLayers: model.layers.length, numBlocks: 16, blockSize: BLOCK_SIZE, numKvHeads: c.numKeyValueHeads,
    headDim: c.headDim, dtype: "float32",
  }));
}

/** Deterministic pseudo-random token ids. */
function tokens(n: number, salt: number): number[] {
  return Array.from({ length: n }, (_, i) => (i * 73 + salt * 31 + 11) % VOCAB);
}

function sequence(tokenIds: number[], blockTable: number[]): Sequence {
  const seq = new Sequence({ promptTokenIds: tokenIds, maxTokens: 8 });
  seq.blockTable = blockTable;
  return seq;
}

/**
 * Schedules positions `[from, from + n)` of `seq`, as the scheduler would. A decode here is a prompt's last token
 * standing in for a sampled one: only the entries that start before it are prefills.
 */
function scheduled(seq: Sequence, from: number, n: number): ScheduledSequence {
  seq.numComputedTokens = from;
  const isPrefill = from < seq.numTokens - 1;
  return { seq, numComputedTokens: from, numNewTokens: n, isPrefill, emitsToken: from + n === seq.numTokens };
}

/** Marks an entry's tokens computed (what the engine does after a step). */
function advance(e: ScheduledSequence): void {
  e.seq.numComputedTokens = e.numComputedTokens + e.numNewTokens;
}

function stepOf(entries: ScheduledSequence[]): SchedulerOutput {
  const prefill = entries.filter((e) => e.isPrefill).reduce((a, e) => a + e.numNewTokens, 0);
  const decode = entries.filter((e) => !e.isPrefill).reduce((a, e) => a + e.numNewTokens, 0);
  return { scheduled: entries, preempted: [], numScheduledTokens: prefill + decode,
    numPrefillTokens: prefill, numDecodeTokens: decode };
}

/** Computes all but the last token of `seq` as one step that emits nothing (execute evaluates the writes). */
function prefillAllButLast(runner: ModelRunner, seq: Sequence): void {
  const e = scheduled(seq, 0, seq.numTokens - 1);
  expect(runner.execute(stepOf([e]))).toBeNull();
  advance(e);
}

/** Logits `[T][V]` of the model's contiguous forward over all of `tokenIds`. */
function contiguousLogits(model: DecoderModel, tokenIds: number[]): number[][] {
  using t = mx.array(tokenIds, { dtype: "int32", shape: [1, tokenIds.length] });
  const caches = model.makeCache();
  using logits = model.forward(t, caches);
  const flat = logits.toList();
  for (const c of caches) c.dispose();
  return tokenIds.map((_, i) => flat.slice(i * VOCAB, (i + 1) * VOCAB));
}

/**
 * Runs a step as the engine does: the logits are evaluated together with the pool (sampleAsync's `alsoEval`).
 * Returns the rows, or null when no entry emits.
 */
function executeRows(runner: ModelRunner, output: SchedulerOutput, decodeTokens: mx.Array | null = null): number[][] | null {
  const logits = runner.execute(output, decodeTokens);
  if (!logits) return null;
  mx.evaluate(logits, ...runner.pool.arrays());
  return rowsOf(logits);
}

/** The rows of `[R, V]` logits as host numbers; disposes the logits. */
function rowsOf(logits: mx.Array): number[][] {
  const flat = logits.toList();
  logits.dispose();
  return Array.from({ length: flat.length / VOCAB }, (_, b) => flat.slice(b * VOCAB, (b + 1) * VOCAB));
}

function maxDiff(a: readonly number[], b: readonly number[]): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

for (const [family, opts] of FAMILIES) {
  describe(`ModelRunner (${family}) matches the contiguous forward`, () => {
    test("two prefill chunks, the second at offset 6, over a scattered block table", async () => {
      const model = await tinyModel(family, opts);
      const runner = runnerFor(model);
      const ids = tokens(11, 1);
      const seq = sequence(ids, [7, 2, 9]);
      const want = contiguousLogits(model, ids);
      const first = scheduled(seq, 0, 6);
      expect(runner.execute(stepOf([first]))).toBeNull();
      advance(first);
      const [b] = executeRows(runner, stepOf([scheduled(seq, 6, 5)]))!;
      expect(maxDiff(b!, want[10]!)).toBeLessThan(TOLERANCE);
      runner.pool.dispose();
    });

    test("batched decodes of ragged lengths, two steps", async () => {
      const model = await tinyModel(family, opts);
      const runner = runnerFor(model);
      const seqs = [sequence(tokens(3, 2), [4]), sequence(tokens(9, 3), [10, 1, 12]), sequence(tokens(6, 4), [5, 6])];
      for (const s of seqs) prefillAllButLast(runner, s);
      for (let step = 0; step < 2; step++) {
        if (step > 0) seqs.forEach((s, b) => s.appendToken(17 + b));
        const entries = seqs.map((s) => scheduled(s, s.numTokens - 1, 1));
        const got = executeRows(runner, stepOf(entries))!;
        expect(got.length).toBe(3);
        seqs.forEach((s, b) => expect(maxDiff(got[b]!, contiguousLogits(model, s.tokenIds).at(-1)!)).toBeLessThan(TOLERANCE));
        entries.forEach(advance);
      }
      runner.pool.dispose();
    });

    test("one forward for decodes, a chunk that ends its prompt and one that does not (varlen)", async () => {
      const model = await tinyModel(family, opts);
      const runner = runnerFor(model);
      const a = sequence(tokens(8, 5), [1, 2]); // decodes at position 7
      const b = sequence(tokens(9, 6), [3, 4, 11]); // positions 0..5: samples nothing
      const c = sequence(tokens(7, 7), [5, 6]); // its last chunk, positions 3..6, samples
      prefillAllButLast(runner, a);
      const cHead = scheduled(c, 0, 3);
      expect(runner.execute(stepOf([cHead]))).toBeNull();
      advance(cHead);
      const step = [scheduled(a, 7, 1), scheduled(b, 0, 6), scheduled(c, 3, 4)];
      const rows = executeRows(runner, stepOf(step))!;
      expect(rows.length).toBe(2);
      [a, c].forEach((s, r) => expect(maxDiff(rows[r]!, contiguousLogits(model, s.tokenIds).at(-1)!)).toBeLessThan(TOLERANCE));
      step.forEach(advance);
      const [last] = executeRows(runner, stepOf([scheduled(b, 6, 3)]))!;
      expect(maxDiff(last!, contiguousLogits(model, b.tokenIds).at(-1)!)).toBeLessThan(TOLERANCE);
      runner.pool.dispose();
    });
  });
}

describe("ModelRunner.execute", () => {
  test("a forward queued layer by layer (queue every 1) gives the whole forward's logits, one async_eval after each layer but the last", async () => {
    const model = await tinyModel("qwen3", { seed: 12, numLayers: 3 });
    const got: number[][][] = [];
    const evals: number[][] = [];
    for (const queueEvery of [0, 1]) {
      const runner = runnerFor(model);
      const a = sequence(tokens(6, 12), [1, 2]);
      const b = sequence(tokens(9, 13), [3, 4, 5]);
      prefillAllButLast(runner, a);
      const [logits, sizes] = asyncEvalsBy(() => runner.execute(stepOf([scheduled(a, 5, 1), scheduled(b, 0, 9)]), null, queueEvery)!);
      evals.push(sizes);
      mx.evaluate(logits, ...runner.pool.arrays());
      got.push(rowsOf(logits));
      runner.pool.dispose();
    }
    expect(evals).toEqual([[], [1, 1]]); // the hidden states after layers 0 and 1
    expect(got[1]!.length).toBe(2);
    got[1]!.forEach((row, r) => expect(maxDiff(row, got[0]![r]!)).toBe(0));
    expect(maxDiff(got[1]![1]!, contiguousLogits(model, tokens(9, 13)).at(-1)!)).toBeLessThan(TOLERANCE);
  });

  test("a mixed step returns one row per emitting entry, in scheduled order", async () => {
    const model = await tinyModel("llama", { seed: 5 });
    const runner = runnerFor(model);
    const a = sequence(tokens(5, 5), [1, 2]); // decodes at position 4
    const b = sequence(tokens(10, 6), [3, 4, 11]); // a first chunk that does not emit
    const c = sequence(tokens(7, 7), [5, 6]); // decodes at position 6
    const d = sequence(tokens(6, 8), [8, 9]); // its last chunk (positions 2..5) emits
    for (const s of [a, c]) prefillAllButLast(runner, s);
    const dHead = scheduled(d, 0, 2);
    expect(runner.execute(stepOf([dHead]))).toBeNull();
    advance(dHead);
    const step = [scheduled(d, 2, 4), scheduled(a, 4, 1), scheduled(b, 0, 4), scheduled(c, 6, 1)];
    expect(step.map((e) => [e.isPrefill, e.emitsToken])).toEqual([[true, true], [false, true], [true, false], [false, true]]);
    const rows = executeRows(runner, stepOf(step))!;
    expect(rows.length).toBe(3);
    [d, a, c].forEach((s, r) => expect(maxDiff(rows[r]!, contiguousLogits(model, s.tokenIds).at(-1)!)).toBeLessThan(TOLERANCE));
    step.forEach(advance);

    // b continues: a middle chunk emits nothing (null), then its last chunk reads what both wrote.
    const middle = scheduled(b, 4, 4);
    expect(runner.execute(stepOf([middle]))).toBeNull();
    advance(middle);
    const [last] = executeRows(runner, stepOf([scheduled(b, 8, 2)]))!;
    expect(maxDiff(last!, contiguousLogits(model, b.tokenIds).at(-1)!)).toBeLessThan(TOLERANCE);
    runner.pool.dispose();
  });

  test("decodeTokens (a sampler's uint32) replaces the host token ids of the decode rows only; one host array a step", async () => {
    const model = await tinyModel("qwen3", { seed: 6 });
    const runner = runnerFor(model);
    const truth = [tokens(5, 9), tokens(8, 10)];
    // The pipelined engine appends a placeholder before the previous sample is read.
    const seqs = [sequence([...truth[0]!.slice(0, 4), 0], [2, 7]), sequence([...truth[1]!.slice(0, 7), 0], [3, 5])];
    const p = sequence(tokens(4, 11), [9]);
    for (const s of seqs) prefillAllButLast(runner, s);
    using decodeTokens = mx.array(truth.map((t) => t.at(-1)!), { dtype: "uint32" });
    const step = [scheduled(seqs[0]!, 4, 1), scheduled(p, 0, 4), scheduled(seqs[1]!, 7, 1)];
    // Host ids, where each id comes from, the head's rows, slots, positions, block tables and KV lengths: one array.
    const [rows, made] = hostArraysMadeBy(() => executeRows(runner, stepOf(step), decodeTokens)!);
    expect(made).toBe(1);
    expect(maxDiff(rows[0]!, contiguousLogits(model, truth[0]!).at(-1)!)).toBeLessThan(TOLERANCE);
    expect(maxDiff(rows[1]!, contiguousLogits(model, p.tokenIds).at(-1)!)).toBeLessThan(TOLERANCE);
    expect(maxDiff(rows[2]!, contiguousLogits(model, truth[1]!).at(-1)!)).toBeLessThan(TOLERANCE);
    runner.pool.dispose();
  });

  test("a sequence that shares another's full prefix block (a prefix-cache hit) computes only its own tail", async () => {
    const model = await tinyModel("llama", { seed: 7 });
    const runner = runnerFor(model);
    const ids = tokens(7, 12);
    const first = sequence(ids, [3, 5]);
    prefillAllButLast(runner, first); // positions 0-3 in block 3, 4-5 in block 5
    const second = sequence(ids, [3, 8]); // block 3 shared, its own tail in block 8
    second.numComputedTokens = 4;
    const [row] = executeRows(runner, stepOf([scheduled(second, 4, 3)]))!;
    expect(maxDiff(row!, contiguousLogits(model, ids).at(-1)!)).toBeLessThan(TOLERANCE);
    runner.pool.dispose();
  });

  test("a prefill chunk that emits nothing keeps its KV when another prefill follows it in the step", async () => {
    // The scheduler makes such steps whenever longPrefillTokenThreshold cuts two prompts (the CPU default is 128).
    const model = await tinyModel("llama", { seed: 8 });
    const runner = runnerFor(model);
    const p = sequence(tokens(10, 13), [2, 6, 10]);
    const q = sequence(tokens(9, 14), [4, 8, 12]);
    const step = [scheduled(p, 0, 4), scheduled(q, 0, 4)];
    expect(step.map((e) => e.emitsToken)).toEqual([false, false]);
    expect(executeRows(runner, stepOf(step))).toBeNull();
    step.forEach(advance);
    const rows = executeRows(runner, stepOf([scheduled(p, 4, 6), scheduled(q, 4, 5)]))!;
    expect(maxDiff(rows[0]!, contiguousLogits(model, p.tokenIds).at(-1)!)).toBeLessThan(TOLERANCE);
    expect(maxDiff(rows[1]!, contiguousLogits(model, q.tokenIds).at(-1)!)).toBeLessThan(TOLERANCE);
    runner.pool.dispose();
  });
});
