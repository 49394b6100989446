/**
 * `/v1/embeddings`, `/v1/rerank` and `/v1/score` in-process over real pooling engines (their worker, random-weight
 * fixtures at small real shapes), and the 400s between chat and pooling models.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { PoolingEngine } from "../../engine/pooling/engine.ts";
import type { PoolingTask } from "../../models/pooling-config.ts";
import { type PoolingFixture, writePoolingModel } from "../../models/pooling-testing.ts";
import { loadTokenizer } from "../../tokenizer/index.ts";
import { RESPONSE_SCHEMAS } from "../openapi.ts";
import { post, request, testApp } from "../testing/helpers.ts";

const opened: { dir: string; engine: PoolingEngine }[] = [];

async function served(kind: PoolingFixture, task?: PoolingTask, maxBatchTokens?: number) {
  const dir = writePoolingModel(kind);
  const engine = new PoolingEngine({
    id: kind, modelPath: dir, tokenizer: await loadTokenizer(dir),
    ...(task ? { task } : {}), ...(maxBatchTokens ? { maxBatchTokens } : {}),
  });
  opened.push({ dir, engine });
  await engine.ready;
  return { engine, app: testApp(engine as never, { pooling: engine, servedModelName: kind }).app };
}

let bert: Awaited<ReturnType<typeof served>>;
let qwen: Awaited<ReturnType<typeof served>>;
let cross: Awaited<ReturnType<typeof served>>;
let yesNo: Awaited<ReturnType<typeof served>>;

beforeAll(async () => {
  [bert, qwen, cross, yesNo] = await Promise.all([
    served("bert-embed"), served("qwen3-embed"), served("bert-rerank"), served("qwen3-rerank", "score"),
  ]);
}, 60_000);

afterAll(async () => {
  for (const { dir, engine } of opened) {
    await engine.close(1000);
    rmSync(dir, { recursive: true, force: true });
  }
});

function decodeBase64(text: string): number[] {
  const bytes = Buffer.from(text, "base64");
  return Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
}

const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe("POST /v1/embeddings", () => {
  test("float and base64 carry the same unit vectors; usage counts the prompt tokens; shapes match the OpenAPI schema", async () => {
    const input = ["hello world", "the quick brown fox"];
    const f = await post(bert.app, "/v1/embeddings", { model: "bert-embed", input });
    expect(f.status).toBe(200);
    const floats = await f.json();
    expect(RESPONSE_SCHEMAS.EmbeddingList.safeParse(floats).success).toBe(true);
    expect(floats.data.map((d: { index: number }) => d.index)).toEqual([0, 1]);
    expect(floats.data[0].embedding.length).toBe(32);
    expect(norm(floats.data[1].embedding)).toBeCloseTo(1, 5);
    expect(floats.usage).toEqual({ prompt_tokens: 4 + 6, total_tokens: 10 }); // [CLS] ... [SEP]
    const b = await (await post(bert.app, "/v1/embeddings", { input, encoding_format: "base64" })).json();
    expect(typeof b.data[0].embedding).toBe("string");
    for (let i = 0; i < 2; i++) expect(decodeBase64(b.data[i].embedding)).toEqual(floats.data[i].embedding);
  });

  test("token ids and lists of token ids are embedded as given", async () => {
    const tokens = [2, 5, 6, 3];
    const one = await (await post(bert.app, "/v1/embeddings", { input: tokens })).json();
    const text = await (await post(bert.app, "/v1/embeddings", { input: "hello world" })).json();
    const many = await (await post(bert.app, "/v1/embeddings", { input: [tokens, [2, 7, 3]] })).json();
    expect(one.data[0].embedding).toEqual(text.data[0].embedding);
    expect(many.data.length).toBe(2);
    expect(many.usage.prompt_tokens).toBe(7);
  });

  test("bad input is a 400 in OpenAI's shape", async () => {
    const cases: [unknown, string][] = [
      [{ input: [] }, "input must not be empty"],
      [{ input: "" }, "must not be an empty string"],
      [{ input: [[]] }, "must not be an empty token list"],
      [{ input: [2, 9999] }, "outside the vocabulary"],
      [{ input: "hello ".repeat(60) }, "more than the model's maximum of 48"],
      [{ input: 5 }, "input"],
      [{ input: "x", encoding_format: "int8" }, "encoding_format"],
      [{ input: "x", dimensions: 8 }, "does not support dimensions"],
    ];
    for (const [body, message] of cases) {
      const r = await post(bert.app, "/v1/embeddings", body);
      expect(r.status).toBe(400);
      const json = await r.json();
      expect(json.error.type).toBe("invalid_request_error");
      expect(json.error.message).toContain(message);
    }
  });

  test("Qwen3-Embedding shape: dimensions keeps the first values, renormalized (Matryoshka)", async () => {
    const full = (await (await post(qwen.app, "/v1/embeddings", { input: "what is paris" })).json()).data[0].embedding as number[];
    const short = (await (await post(qwen.app, "/v1/embeddings", { input: "what is paris", dimensions: 8 })).json()).data[0].embedding as number[];
    expect(full.length).toBe(32);
    expect(norm(full)).toBeCloseTo(1, 5);
    const head = full.slice(0, 8);
    const n = norm(head);
    short.forEach((x, i) => expect(x).toBeCloseTo(head[i]! / n, 5));
    expect((await post(qwen.app, "/v1/embeddings", { input: "x", dimensions: 33 })).status).toBe(400);
  });

  test("concurrent requests are batched: 8 requests run in fewer forwards", async () => {
    const before = qwen.engine.stats().forwards;
    const texts = Array.from({ length: 8 }, (_, i) => `hello world ${"fox ".repeat(i)}`);
    const all = await Promise.all(texts.map((input) => post(qwen.app, "/v1/embeddings", { input }).then((r) => r.json())));
    const forwards = qwen.engine.stats().forwards - before;
    expect(forwards).toBeLessThan(8);
    expect(forwards).toBeGreaterThan(0);
    // Each equals the same input embedded alone.
    const alone = await (await post(qwen.app, "/v1/embeddings", { input: texts[5] })).json();
    all[5].data[0].embedding.forEach((x: number, i: number) => expect(x).toBeCloseTo(alone.data[0].embedding[i], 5));
  });

  test("an embedding request to a chat model, and a chat request to an embedding model, are 400s", async () => {
    const chat = testApp().app;
    const e = await post(chat, "/v1/embeddings", { input: "hi" });
    expect(e.status).toBe(400);
    expect((await e.json()).error).toMatchObject({ param: "model", code: "model_not_supported" });
    const c = await post(bert.app, "/v1/chat/completions", { messages: [{ role: "user", content: "hi" }] });
    expect(c.status).toBe(400);
    expect((await c.json()).error.message).toContain("is an embedding model");
    expect((await post(bert.app, "/v1/rerank", { query: "a", documents: ["b"] })).status).toBe(400);
    expect((await post(cross.app, "/v1/embeddings", { input: "a" })).status).toBe(400);
  });

  test("a generation request to a pooling model says so on every route, whatever its max_tokens", async () => {
    const cases: [typeof bert.app, string, object][] = [
      [bert.app, "/v1/chat/completions", { messages: [{ role: "user", content: "hi" }], max_tokens: 100_000 }],
      [bert.app, "/v1/completions", { prompt: "hi", max_tokens: 100_000 }],
      [cross.app, "/v1/responses", { input: "hi", max_output_tokens: 100_000 }],
      [cross.app, "/v1/chat/completions", { messages: [{ role: "user", content: "hi" }], max_tokens: 2048 }],
    ];
    for (const [app, path, body] of cases) {
      const r = await post(app, path, body);
      expect(r.status).toBe(400);
      const { error } = await r.json();
      expect(error.message).toMatch(app === bert.app ? /^model 'bert-embed' is an embedding model: use \/v1\/embeddings; it does not generate text$/
        : /^model 'bert-rerank' is a rerank model: use \/v1\/rerank; it does not generate text$/);
      expect(error).toMatchObject({ param: "model", code: "model_not_supported" });
    }
    const m = await post(bert.app, "/v1/messages", { model: "bert-embed", messages: [{ role: "user", content: "hi" }], max_tokens: 100_000 });
    expect(m.status).toBe(400);
    expect((await m.json()).error.message).toContain("is an embedding model");
  });

  test("GET /v1/models names the capabilities", async () => {
    const caps = async (app: typeof bert.app) => (await (await request(app, "/v1/models")).json()).data[0].capabilities;
    expect(await caps(bert.app)).toMatchObject({ chat: false, embeddings: true, rerank: false });
    expect(await caps(cross.app)).toMatchObject({ chat: false, embeddings: false, rerank: true });
    expect(await caps(testApp().app)).toMatchObject({ chat: true, embeddings: false, rerank: false });
  });
});

describe("POST /v1/rerank and /v1/score", () => {
  for (const which of ["bert cross-encoder", "qwen3 yes/no"] as const) {
    test(`${which}: results sorted by relevance_score with their index; top_n and return_documents`, async () => {
      const app = which === "bert cross-encoder" ? cross.app : yesNo.app;
      const documents = ["paris is the capital of france", "a dog", { text: "the quick brown fox" }];
      const score = await (await post(app, "/v1/score", { text_1: "what is the capital of france", text_2: documents.slice(0, 2) })).json();
      expect(RESPONSE_SCHEMAS.ScoreResult.safeParse(score).success).toBe(true);
      const r = await post(app, "/v1/rerank", { query: "what is the capital of france", documents });
      expect(r.status).toBe(200);
      const body = await r.json();
      expect(RESPONSE_SCHEMAS.RerankResult.safeParse(body).success).toBe(true);
      const scores = body.results.map((x: { relevance_score: number }) => x.relevance_score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      expect(body.results.map((x: { index: number }) => x.index).sort()).toEqual([0, 1, 2]);
      for (const x of body.results) {
        expect(x.relevance_score).toBeGreaterThan(0);
        expect(x.relevance_score).toBeLessThan(1);
        expect(x.document.text).toBe(typeof documents[x.index] === "string" ? documents[x.index] : "the quick brown fox");
      }
      // The score route gives the same numbers for the same pairs.
      for (const d of score.data) expect(d.score).toBeCloseTo(body.results.find((x: { index: number }) => x.index === d.index).relevance_score, 5);
      const top = await (await post(app, "/rerank", { query: "what is the capital of france", documents, top_n: 1, return_documents: false })).json();
      expect(top.results).toEqual([{ index: body.results[0].index, relevance_score: body.results[0].relevance_score }]);
    });
  }

  test("bad rerank input is a 400", async () => {
    for (const body of [{ query: "a", documents: [] }, { query: "", documents: ["b"] }, { query: "a" }, { query: "a", documents: [1] }]) {
      expect((await post(cross.app, "/v1/rerank", body)).status).toBe(400);
    }
    expect((await post(cross.app, "/v1/rerank", { query: "hello ".repeat(80), documents: ["b"] })).status).toBe(400);
  });
});
