import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApp, serve, type ServerHandle } from "../server/index.ts";
import { FakeEngine } from "../server/testing/fake-engine.ts";
import { type GenerateRequest, InvalidRequestError } from "../engine/protocol.ts";
import { sseData } from "./client.ts";
import { runServeBenchmark } from "./serve-bench.ts";
import { serveBenchTable } from "./serve-report.ts";

const silent = { info() {}, warn() {}, error() {} };

function promptText(request: GenerateRequest): string {
  if (request.kind === "completion") return typeof request.prompt === "string" ? request.prompt : "";
  const content = request.messages.at(-1)?.content;
  return typeof content === "string" ? content : "";
}

/** Fake tokenizer: one token per word plus 3 (completions) or 9 (chat template) tokens of overhead. */
const engine = new FakeEngine((request) => ({
  ...(promptText(request).startsWith("1: ") && request.sampling.maxTokens === 2
    ? { throwBeforeStart: new InvalidRequestError("prompt one is refused") } : {}),
  promptTokens: promptText(request).split(" ").length + (request.kind === "chat" ? 9 : 3),
  outputs: [Array.from({ length: request.sampling.maxTokens ?? 1 }, (_, i) => ` t${i}`)],
  finishReason: "length",
  firstTokenDelayMs: 15,
  tokenDelayMs: 3,
}));
let handle: ServerHandle;

beforeAll(async () => {
  handle = await serve(createApp({ engine, logger: silent }), { port: 0 });
});
afterAll(() => handle.stop(100));

describe("bench serve against a local server over FakeEngine", () => {
  test("sseData splits events across chunk boundaries", async () => {
    const parts = ["data: {\"a\"", ":1}\n\nda", "ta: [DONE]\r\n\r\n"];
    const stream = new ReadableStream<Uint8Array>({ start(c) {
      for (const p of parts) c.enqueue(new TextEncoder().encode(p));
      c.close();
    } });
    const out: string[] = [];
    for await (const d of sseData(stream)) out.push(d);
    expect(out).toEqual(['{"a":1}', "[DONE]"]);
  });

  for (const endpoint of ["completions", "chat"] as const) {
    test(`${endpoint}: calibration, concurrency sweep, usage-based token counts`, async () => {
      const before = engine.requests.length;
      const result = await runServeBenchmark({
        client: { baseUrl: handle.url.toString(), model: "fake-org/fake-model", endpoint },
        dataset: { kind: "random", inputLen: 40, outputLen: 6 }, numPrompts: 6,
        loads: [{ kind: "concurrency", concurrency: 1 }, { kind: "concurrency", concurrency: 3 }],
        seed: 3, warmupRequests: 1, slo: { ttftMs: 10_000 },
      });
      expect(result.calibration).toEqual({ overheadTokens: endpoint === "chat" ? 9 : 3, tokensPerWord: 1 });
      expect(result.rows.map((r) => r.label)).toEqual(["c=1", "c=3"]);
      for (const row of result.rows) {
        const s = row.summary;
        expect(row.errors).toEqual([]);
        expect(s.completed).toBe(6);
        expect(s.totalInputTokens).toBe(6 * 40);
        expect(s.totalOutputTokens).toBe(36);
        expect(s.ttftMs.median).toBeGreaterThanOrEqual(14);
        expect(s.tpotMs.mean).toBeGreaterThanOrEqual(2.5);
        expect(s.itlMs.mean).toBeGreaterThan(0);
        expect(s.e2eMs.mean).toBeGreaterThan(s.ttftMs.mean);
        expect(s.goodput).toBeCloseTo(s.requestThroughput, 9);
      }
      const sent = engine.requests.slice(before);
      expect(sent.length).toBe(2 + (1 + 6) + (3 + 6)); // 2 probes, then per run 1 warm-up per slot + 6 measured
      expect(sent.slice(2).every((r) => r.sampling.maxTokens === 6)).toBe(true);
      expect(sent.every((r) => r.kind === (endpoint === "chat" ? "chat" : "completion"))).toBe(true);
      expect(serveBenchTable(result.rows)).toContain("c=3");
    });
  }

  test("failed requests are counted and reported, not thrown", async () => {
    const result = await runServeBenchmark({
      client: { baseUrl: handle.url.toString(), model: "fake-org/fake-model", endpoint: "completions" },
      dataset: { kind: "random", inputLen: 20, outputLen: 2 }, numPrompts: 3,
      loads: [{ kind: "concurrency", concurrency: 2 }], seed: 0, warmupRequests: 0,
    });
    const row = result.rows[0];
    expect(row?.summary.completed).toBe(2);
    expect(row?.summary.failed).toBe(1);
    expect(row?.errors[0]).toContain("HTTP 400");
    expect(row?.errors[0]).toContain("prompt one is refused");
  });

  test("a failed calibration probe is an error that says why", async () => {
    const result = await runServeBenchmark({
      client: { baseUrl: handle.url.toString(), model: "no-such-model", endpoint: "completions" },
      dataset: { kind: "random", inputLen: 20, outputLen: 2 }, numPrompts: 2,
      loads: [{ kind: "concurrency", concurrency: 2 }], seed: 0, warmupRequests: 0,
    }).catch((e: Error) => e);
    expect(result).toBeInstanceOf(Error);
    expect((result as Error).message).toContain("probe request failed: HTTP 404");
  });
});
