import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AsyncEngine } from "./async-engine.ts";
import { createEngine } from "../create.ts";
import { FIXTURE_VOCAB_SIZE, writeFixtureModel } from "./testing/fixture-model.ts";
import { CapacityError, ContextLengthError, type EngineEvent, type GenerateRequest, type SamplingParams } from "../protocol.ts";

const sampling = (extra: Partial<SamplingParams> = {}): SamplingParams =>
  ({ presencePenalty: 0, frequencyPenalty: 0, logitBias: {}, stop: [], n: 1, logprobs: false, topLogprobs: 0, ...extra });
const completion = (maxTokens: number, extra: Partial<SamplingParams> = {}): GenerateRequest =>
  ({ kind: "completion", requestId: "t", prompt: "Once upon a time", sampling: sampling({ maxTokens, ...extra }) });

async function events(engine: AsyncEngine, request: GenerateRequest, signal = new AbortController().signal): Promise<EngineEvent[]> {
  const out: EngineEvent[] = [];
  for await (const e of engine.submit(request, signal)) out.push(e);
  return out;
}
const textOf = (list: EngineEvent[]) => list.map((e) => (e.type === "delta" ? e.text : "")).join("");

let dir = "";
let engine: AsyncEngine;
beforeAll(async () => {
  dir = writeFixtureModel({ generationConfig: { temperature: 0, top_k: 5 }, maxPositionEmbeddings: 256 });
  engine = await createEngine({ model: dir, servedModelName: "fx", core: { maxNumSeqs: 1 }, maxWaiting: 1, defaultMaxTokens: 8 });
});
afterAll(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("AsyncEngine", () => {
  test("modelInfo: id, context from config.json, tool format and reasoning tags from the model", () => {
    expect(engine.modelInfo()).toEqual({
      id: "fx", contextLength: 256, toolCallFormat: "hermes", reasoning: { start: "<think>", end: "</think>" }, loadState: "ready",
      vocabSize: FIXTURE_VOCAB_SIZE,
    });
    // The paged pool holds maxNumSeqs (1) full-context sequences: 256 tokens / 16 per block.
    // The pool starts at its initial 64 MiB, which here is more than the whole 16-block budget.
    const stats = engine.stats();
    expect(stats).toMatchObject({
      running: 0, waiting: 0, capacity: 1,
      kvBlocksUsed: 0, kvBlocksTotal: 16, prefixCacheQueries: 0, prefixCacheHits: 0, numPreemptions: 0,
    });
    expect(stats.kvPoolBytes).toBe(stats.kvBudgetBytes!);
    expect(stats.kvBudgetBytes! / 16).toBe(8192); // 8 KiB a block at the fixture's shapes
    expect(stats.mlxActiveBytes).toBeGreaterThanOrEqual(stats.kvPoolBytes!);
    expect(stats.mlxCacheLimitBytes).toBeGreaterThan(0);
  });

  test("event order: start, deltas, finish, usage; the default max tokens applies", async () => {
    const list = await events(engine, completion(undefined as unknown as number));
    expect(list[0]).toEqual({ type: "start", promptTokens: 4 });
    expect(list.at(-2)).toEqual({ type: "finish", index: 0, finishReason: "length", completionTokens: 8 });
    expect(list.at(-1)).toEqual({ type: "usage", promptTokens: 4, completionTokens: 8, cachedTokens: 0 });
    expect(list.filter((e) => e.type === "delta")).toHaveLength(8);
  });

  test("generation_config's temperature 0 makes unset-temperature requests greedy", async () => {
    const a = textOf(await events(engine, completion(10)));
    const b = textOf(await events(engine, completion(10, { temperature: 0 })));
    expect(a.length).toBeGreaterThan(0);
    expect(a).toBe(b);
    const hot: EngineEvent[][] = [];
    for (const seed of [1, 2, 3]) hot.push(await events(engine, completion(10, { temperature: 1.5, topK: 0, seed })));
    expect(new Set(hot.map(textOf)).size).toBeGreaterThan(1);
  });

  test("chat prompts report whether they open a reasoning span", async () => {
    const chat = (kwargs: Record<string, unknown>): GenerateRequest =>
      ({ kind: "chat", requestId: "c", messages: [{ role: "user", content: "Hi" }], chatTemplateKwargs: kwargs, sampling: sampling({ maxTokens: 1 }) });
    expect((await events(engine, chat({})))[0]).toMatchObject({ type: "start", promptOpensReasoning: false });
    expect((await events(engine, chat({ enable_thinking: false })))[0]).toMatchObject({ type: "start", promptOpensReasoning: false });
  });

  test("prompt + max tokens over the context: ContextLengthError before start", async () => {
    await expect(events(engine, completion(253))).rejects.toBeInstanceOf(ContextLengthError);
    expect((await events(engine, completion(252))).at(-1)).toMatchObject({ type: "usage", completionTokens: 252 });
  }, 30_000);

  test("a full waiting queue answers CapacityError 429", async () => {
    const controllers = [new AbortController(), new AbortController()];
    const iterators = controllers.map((c) => engine.submit(completion(200), c.signal)[Symbol.asyncIterator]());
    for (const it of iterators) expect((await it.next()).value).toMatchObject({ type: "start" });
    let error: unknown;
    try {
      await events(engine, completion(5));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CapacityError);
    expect(error).toMatchObject({ status: 429, retryAfterSeconds: 1 });
    for (const c of controllers) c.abort();
    for (const it of iterators) {
      for (let r = await it.next(); !r.done; r = await it.next()) { /* drain */ }
    }
  });

  test("abort ends the stream promptly and frees the core", async () => {
    const controller = new AbortController();
    const got: EngineEvent[] = [];
    for await (const e of engine.submit(completion(200), controller.signal)) {
      got.push(e);
      if (got.length === 4) controller.abort();
    }
    expect(got).toHaveLength(4);
    for (let i = 0; i < 100 && engine.stats().running !== 0; i++) await Bun.sleep(10);
    expect(engine.stats()).toMatchObject({ running: 0, waiting: 0 });
  });

  test("abort of an n = 3 request frees every choice in the core", async () => {
    const controller = new AbortController();
    const indices = new Set<number>();
    for await (const e of engine.submit(completion(40, { n: 3 }), controller.signal)) {
      if (e.type === "delta") indices.add(e.index);
      if (indices.size === 3) controller.abort(); // the third choice started (maxNumSeqs 1 runs them in turn)
    }
    for (let i = 0; i < 100 && engine.coreStats().usedBlocks !== 0; i++) await Bun.sleep(10);
    expect(engine.coreStats()).toMatchObject({ running: 0, waiting: 0, usedBlocks: 0 });
  });

  test("n = 2 fans out into two core requests: each choice streams and finishes, one usage counts both", async () => {
    const list = await events(engine, completion(6, { n: 2, temperature: 0 }));
    const text = (i: number) => list.map((e) => (e.type === "delta" && e.index === i ? e.text : "")).join("");
    expect(list.filter((e) => e.type === "finish").map((e) => e.type === "finish" && [e.index, e.finishReason, e.completionTokens]))
      .toEqual([[0, "length", 6], [1, "length", 6]]);
    expect(text(1)).toBe(text(0));
    expect(list.at(-1)).toEqual({ type: "usage", promptTokens: 4, completionTokens: 12, cachedTokens: 0 });
    expect(engine.coreStats()).toMatchObject({ running: 0, waiting: 0, usedBlocks: 0 });
  });

  test("stop strings across tokens trim the text and finish with stop", async () => {
    const full = textOf(await events(engine, completion(20)));
    const stop = full.slice(10, 13);
    const list = await events(engine, completion(20, { stop: [stop] }));
    expect(textOf(list)).toBe(full.slice(0, full.indexOf(stop)));
    expect(list.find((e) => e.type === "finish")).toMatchObject({ finishReason: "stop" });
  });

  test("a repeated prompt reports its prefix-cache hit as usage cachedTokens", async () => {
    const prompt = Array.from({ length: 40 }, (_, i) => 300 + i);
    const request: GenerateRequest = { kind: "completion", requestId: "c", prompt, sampling: sampling({ maxTokens: 2 }) };
    const before = engine.stats();
    expect((await events(engine, request)).at(-1)).toMatchObject({ type: "usage", promptTokens: 40, cachedTokens: 0 });
    // Two full 16-token blocks are cached; the third block is not full.
    expect((await events(engine, request)).at(-1)).toMatchObject({ type: "usage", promptTokens: 40, cachedTokens: 32 });
    await Bun.sleep(50); // stats ride on the worker's next message
    const after = engine.stats();
    expect(after.prefixCacheHits! - before.prefixCacheHits!).toBe(32);
    expect(after.prefixCacheRequests! - before.prefixCacheRequests!).toBe(2);
    expect(after.prefixCacheRequestHits! - before.prefixCacheRequestHits!).toBe(1);
    expect(after.prefixCacheMmHits).toBe(0);
    expect(after.encoderCacheHits).toBeUndefined(); // a text-only model has no encoder cache
  });
});

describe("createEngine failures", () => {
  test("a model the worker cannot load rejects ready and reports loadState failed", async () => {
    const bad = writeFixtureModel();
    try {
      writeFileSync(join(bad, "config.json"), JSON.stringify({ model_type: "mystery" }));
      const failing = await createEngine({ model: bad, waitReady: false });
      await expect(failing.ready).rejects.toThrow("unknown model_type 'mystery'");
      expect(failing.modelInfo().loadState).toBe("failed");
      await expect(events(failing, completion(2))).rejects.toMatchObject({ status: 503 });
      await failing.close();
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  }, 30_000);
});
