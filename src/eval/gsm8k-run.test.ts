import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { FakeOpenAi } from "./fake-openai.ts";
import { readGsm8kJsonl, selectProblems } from "./gsm8k-data.ts";
import { GSM8K_STOP } from "./gsm8k-prompt.ts";
import { filterScore, type Gsm8kProgress, runGsm8k } from "./gsm8k-run.ts";
import { sampleScript } from "./testdata/sample-script.ts";

const SAMPLE = join(import.meta.dir, "testdata", "gsm8k-sample.jsonl");

async function sample(numShots: number) {
  return selectProblems({ test: await readGsm8kJsonl(SAMPLE), source: "sample" }, numShots);
}

describe("runGsm8k against a scripted OpenAI-compatible server", () => {
  test("counts, accuracies, errors and per-problem records (completions, 2-shot)", async () => {
    using server = new FakeOpenAi("fake/model", sampleScript);
    const { shots, problems } = await sample(2);
    const progress: Gsm8kProgress[] = [];
    const { records, summary } = await runGsm8k({
      client: { baseUrl: server.url, model: "fake/model", endpoint: "completions", apiKey: "sk-test" },
      shots, problems, maxTokens: 64, concurrency: 1, onProgress: (p) => progress.push(p),
    });
    expect(summary.n).toBe(7);
    expect(summary.scores["strict-match"]).toEqual(filterScore(4, 7));
    expect(summary.scores["flexible-extract"]).toEqual(filterScore(5, 7));
    expect(summary.errors).toBe(1);
    expect(records.map((r) => r.id)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(records.map((r) => r.filters["strict-match"].correct)).toEqual([true, false, true, false, true, false, true]);
    expect(records.map((r) => r.filters["flexible-extract"].correct)).toEqual([true, true, true, true, false, false, true]);
    expect(records[1]!.filters["flexible-extract"].extracted).toBe("315");
    expect(records[4]!.finishReason).toBe("length");
    expect(records[5]!.error).toContain("HTTP 500");
    expect(records[5]!.response).toBe("");
    expect(summary.completionTokens).toBe(records.reduce((n, r) => n + r.completionTokens, 0));
    expect(summary.promptTokens).toBeGreaterThan(7 * 40);
    expect(progress.map((p) => p.done)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(progress.at(-1)).toEqual({ done: 7, total: 7, correct: { "strict-match": 4, "flexible-extract": 5 }, errors: 1 });

    // 7 problems plus the retried 429; every request greedy, with the harness's stops and both exemplars.
    expect(server.seen.length).toBe(8);
    const first = server.seen[0]!;
    expect(first.path).toBe("/v1/completions");
    expect(first.authorization).toBe("Bearer sk-test");
    expect(first.body).toMatchObject({ model: "fake/model", max_tokens: 64, temperature: 0, stop: GSM8K_STOP, stream: false });
    const prompt = first.body.prompt as string;
    expect(prompt.startsWith(`Question: ${shots[0]!.question}\nAnswer: ${shots[0]!.answer}\n\nQuestion: ${shots[1]!.question}`)).toBe(true);
    expect(prompt.endsWith(`Question: ${problems[0]!.question}\nAnswer:`)).toBe(true);
    expect(records[0]!.promptTokens).toBe(prompt.split(/\s+/).filter(Boolean).length);
  });

  test("concurrency keeps that many requests in flight and the records in problem order", async () => {
    using server = new FakeOpenAi("fake/model", () => ({ text: " #### 1" }), 30);
    const { shots, problems } = await sample(0);
    const { records } = await runGsm8k({
      client: { baseUrl: server.url, model: "fake/model", endpoint: "chat" }, shots, problems, maxTokens: 8, concurrency: 3,
    });
    expect(server.maxInFlight).toBe(3);
    expect(records.map((r) => r.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(server.seen[0]!.path).toBe("/v1/chat/completions");
    expect(server.seen[0]!.body.messages).toEqual([{ role: "user", content: `Question: ${problems[0]!.question}\nAnswer:` }]);
  });

  test("standard error is the harness's: sample standard deviation over sqrt(n)", () => {
    expect(filterScore(3, 4)).toEqual({ correct: 3, accuracy: 0.75, stderr: 0.25 });
    expect(filterScore(0, 50)).toEqual({ correct: 0, accuracy: 0, stderr: 0 });
    expect(filterScore(0, 0)).toEqual({ correct: 0, accuracy: 0, stderr: 0 });
  });
});
