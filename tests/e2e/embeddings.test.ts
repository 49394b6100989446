/**
 * Embeddings and rerank on the compiled binary, served from an empty directory: the `openai` npm client's
 * `embeddings.create` (float and base64) on a random-weight BERT embedder, the Python `openai` client's
 * (tests/e2e/python/embeddings.py, venv .cache/py-openai-venv), and `/v1/rerank` by plain fetch on a cross-encoder.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import OpenAI from "openai";
import { writePoolingModel } from "../../src/models/pooling-testing.ts";
import { ensureVenv, OPENAI_PY, PYTHON, run } from "./python/venv.ts";
import { type RunningServer, startServer } from "./scripted-harness.ts";

let embedDir: string;
let rerankDir: string;
let embedder: RunningServer;
let reranker: RunningServer;

beforeAll(async () => {
  embedDir = writePoolingModel("bert-embed");
  rerankDir = writePoolingModel("bert-rerank");
  [embedder, reranker] = await Promise.all([startServer(embedDir, "tiny-embed"), startServer(rerankDir, "tiny-rerank"), ensureVenv()]);
}, 240_000);

afterAll(async () => {
  await Promise.all([embedder?.stop(), reranker?.stop()]);
  for (const d of [embedDir, rerankDir]) if (d) rmSync(d, { recursive: true, force: true });
});

describe("embeddings and rerank on the built binary", () => {
  test("openai npm: embeddings.create with float and base64 gives the same unit vectors", async () => {
    const client = new OpenAI({ baseURL: `${embedder.base}/v1`, apiKey: "unused" });
    const input = ["hello world", "the quick brown fox"];
    const floats = await client.embeddings.create({ model: "tiny-embed", input, encoding_format: "float" });
    const b64 = await client.embeddings.create({ model: "tiny-embed", input, encoding_format: "base64" });
    // Without encoding_format the SDK asks for base64 and decodes it to numbers itself.
    const sdkDefault = await client.embeddings.create({ model: "tiny-embed", input });
    expect(floats.data.length).toBe(2);
    expect(floats.usage.prompt_tokens).toBe(10);
    const vector = floats.data[1]!.embedding;
    expect(vector.length).toBe(32);
    expect(Math.sqrt(vector.reduce((s, x) => s + x * x, 0))).toBeCloseTo(1, 5);
    const raw = b64.data[0]!.embedding as unknown as string;
    const bytes = Buffer.from(raw, "base64");
    expect(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4))).toEqual(floats.data[0]!.embedding);
    expect(sdkDefault.data.map((d) => d.embedding)).toEqual(floats.data.map((d) => d.embedding));
    const chat = await client.chat.completions.create({ model: "tiny-embed", messages: [{ role: "user", content: "hi" }] }).then(
      () => null,
      (e: unknown) => e as { status?: number; message?: string },
    );
    expect(chat?.status).toBe(400);
    expect(chat?.message).toContain("is an embedding model");
  }, 60_000);

  test(`python openai==${OPENAI_PY}: embeddings.create (float and base64)`, async () => {
    const r = await run([PYTHON, join(import.meta.dir, "python", "embeddings.py"), `${embedder.base}/v1`, "tiny-embed"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { float: number[][]; base64: number[][]; prompt_tokens: number };
    const client = new OpenAI({ baseURL: `${embedder.base}/v1`, apiKey: "unused" });
    const ours = await client.embeddings.create({ model: "tiny-embed", input: ["hello world", "a dog"], encoding_format: "float" });
    expect(out.prompt_tokens).toBe(8); // [CLS] hello world [SEP], [CLS] a dog [SEP]
    for (const list of [out.float, out.base64]) {
      list.forEach((v, i) => v.forEach((x, j) => expect(x).toBeCloseTo(ours.data[i]!.embedding[j]!, 6)));
    }
  }, 60_000);

  test("rerank by fetch: sorted by relevance_score, with index and document", async () => {
    const documents = ["paris is the capital of france", "a dog", "the quick brown fox"];
    const res = await fetch(`${reranker.base}/v1/rerank`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "tiny-rerank", query: "what is the capital of france", documents, top_n: 2 }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { results: { index: number; relevance_score: number; document: { text: string } }[]; usage: { total_tokens: number } };
    expect(body.results.length).toBe(2);
    expect(body.results[0]!.relevance_score).toBeGreaterThanOrEqual(body.results[1]!.relevance_score);
    for (const r of body.results) expect(r.document.text).toBe(documents[r.index]!);
    expect(body.usage.total_tokens).toBeGreaterThan(0);
    const models = (await (await fetch(`${reranker.base}/v1/models`)).json()) as { data: { capabilities: Record<string, boolean> }[] };
    expect(models.data[0]!.capabilities).toMatchObject({ chat: false, rerank: true, embeddings: false });
  }, 60_000);
});
