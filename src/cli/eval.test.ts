import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { FakeOpenAi } from "../eval/fake-openai.ts";
import { GSM8K_REPO, GSM8K_TEST_FILE, GSM8K_TRAIN_FILE, readGsm8kJsonl } from "../eval/gsm8k-data.ts";
import { EvalProgress } from "../eval/progress.ts";
import { sampleScript } from "../eval/testdata/sample-script.ts";
import { FakeHub } from "../hub/fake-hub.ts";
import { BenchArgError } from "./bench-args.ts";
import { parseEvalGsm8kArgs, runEvalGsm8k } from "./eval.ts";

const SAMPLE = join(import.meta.dir, "..", "eval", "testdata", "gsm8k-sample.jsonl");
const COMMIT = "0123456789abcdef0123456789abcdef01234567";

function capture() {
  const writes: string[] = [];
  return { writes, stream: { isTTY: false, write: (text: string) => writes.push(text) } };
}

function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "vllm-mlx-eval-"));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

describe("eval gsm8k arguments", () => {
  test("defaults: local server, 5 shots, 256 tokens, one request at a time, completions", () => {
    expect(parseEvalGsm8kArgs({})).toEqual({
      client: { baseUrl: "http://127.0.0.1:8000/v1", endpoint: "completions" }, numShots: 5, maxTokens: 256, concurrency: 1,
    });
  });

  test("bad values are BenchArgErrors", () => {
    expect(() => parseEvalGsm8kArgs({ limit: "0" })).toThrow(BenchArgError);
    expect(() => parseEvalGsm8kArgs({ concurrency: "two" })).toThrow(/--concurrency must be a whole number/);
    expect(() => parseEvalGsm8kArgs({ endpoint: "responses" })).toThrow(/--endpoint must be one of/);
    expect(() => parseEvalGsm8kArgs({ url: "localhost:8000" })).toThrow(/--url must be an http/);
  });
});

describe("eval gsm8k with --data against a scripted server", () => {
  test("summary lines, plain progress lines off a TTY, and the results file", () =>
    withTempDir(async (dir) => {
      using server = new FakeOpenAi("fake/model", sampleScript);
      const output = join(dir, "results.json");
      const lines: string[] = [];
      const { writes, stream } = capture();
      const config = parseEvalGsm8kArgs({ url: server.url, data: SAMPLE, "num-shots": "2", "max-tokens": "64",
        concurrency: "2", output });
      const result = await runEvalGsm8k(config, (l) => lines.push(l), new EvalProgress(stream));

      expect(lines[0]).toBe(`GSM8K ${SAMPLE}: 7 problems, 2-shot, fake/model @ ${server.url} (completions)`);
      expect(lines[1]).toBe("strict-match      4/7 =  57.1% ± 20.2%");
      expect(lines[2]).toBe("flexible-extract  5/7 =  71.4% ± 18.4%");
      expect(lines.at(-1)).toBe(`1 request(s) failed (counted as wrong), the first: ${result.records[5]!.error}; see "error" in ${output}`);
      expect(writes.length).toBe(7);
      expect(writes.every((w) => w.endsWith("\n") && !w.includes("\r"))).toBe(true);
      expect(writes.at(-1)).toBe(`[${"#".repeat(30)}] 7/7 strict 4 flexible 5 errors 1\n`);

      const json = JSON.parse(readFileSync(output, "utf8"));
      expect(json.summary).toMatchObject({
        task: "gsm8k", model: "fake/model", url: server.url, dataset: SAMPLE, numShots: 2, maxTokens: 64, concurrency: 2,
        n: 7, correct: { "strict-match": 4, "flexible-extract": 5 }, errors: 1,
      });
      expect(json.summary.accuracy["strict-match"]).toBeCloseTo(4 / 7, 12);
      expect(json.summary.accuracy["flexible-extract"]).toBeCloseTo(5 / 7, 12);
      expect(json.summary.elapsedS).toBeGreaterThan(0);
      expect(json.summary.completionTokensPerS).toBeCloseTo(json.summary.completionTokens / json.summary.elapsedS, 6);
      expect(json.problems.length).toBe(7);
      const problem = json.problems[2];
      expect(Object.keys(problem).sort()).toEqual(["answer", "completionTokens", "filters", "finishReason", "id",
        "latencyS", "promptTokens", "question", "response"]);
      expect(problem).toMatchObject({ id: 4, response: " 150 * 12 = 1800 and 1800 - 475 = 1325\n#### 1,325",
        filters: { "strict-match": { extracted: "1,325", correct: true }, "flexible-extract": { extracted: "1,325", correct: true } } });
      expect(problem.promptTokens).toBeGreaterThan(0);
      expect(json.problems[5].error).toContain("HTTP 500");
    }));

  test("--limit asks the first N problems after the exemplars; --model overrides /v1/models", async () => {
    using server = new FakeOpenAi("fake/model", sampleScript);
    const config = parseEvalGsm8kArgs({ url: server.url, data: SAMPLE, "num-shots": "2", limit: "3", model: "other" });
    const result = await runEvalGsm8k(config, () => {}, new EvalProgress(capture().stream));
    expect(result.records.map((r) => r.id)).toEqual([2, 3, 4]);
    expect(server.seen.every((s) => s.body.model === "other")).toBe(true);
  });
});

describe("eval gsm8k failures", () => {
  test("failed requests print the first error, and name the results file only when one is written", async () => {
    using server = new FakeOpenAi("fake/model", () => ({ status: 404, body: '{"error":{"message":"no model x"}}' }));
    const lines: string[] = [];
    const config = parseEvalGsm8kArgs({ url: server.url, data: SAMPLE, "num-shots": "2", limit: "2" });
    const result = await runEvalGsm8k(config, (l) => lines.push(l), new EvalProgress(capture().stream));
    expect(result.summary.errors).toBe(2);
    expect(result.records[0]!.error).toContain("no model x");
    expect(lines.at(-1)).toBe(`2 request(s) failed (counted as wrong), the first: ${result.records[0]!.error}`);
  });

  test("an --output whose folder is missing fails before any request", async () => {
    using server = new FakeOpenAi("fake/model", sampleScript);
    const config = parseEvalGsm8kArgs({ url: server.url, data: SAMPLE, "num-shots": "2", model: "fake/model",
      output: "/nonexistent-vllm-mlx-dir/results.json" });
    await expect(runEvalGsm8k(config, () => {}, new EvalProgress(capture().stream)))
      .rejects.toThrow("--output /nonexistent-vllm-mlx-dir/results.json: the folder /nonexistent-vllm-mlx-dir does not exist");
    expect(server.seen.length).toBe(0);
  });
});

describe("eval gsm8k from the Hub (a fake hub serving parquet files)", () => {
  test("downloads test and train splits into the datasets cache, then runs offline from it", () =>
    withTempDir(async (cacheDir) => {
      const problems = await readGsm8kJsonl(SAMPLE);
      const parquet = (rows: typeof problems) => new Uint8Array(parquetWriteBuffer({ columnData: [
        { name: "question", data: rows.map((p) => p.question), type: "STRING" },
        { name: "answer", data: rows.map((p) => p.answer), type: "STRING" },
      ] }));
      using hub = new FakeHub(GSM8K_REPO, COMMIT, [
        { path: GSM8K_TEST_FILE, content: parquet(problems.slice(2)), lfs: true },
        { path: GSM8K_TRAIN_FILE, content: parquet(problems.slice(0, 2)), lfs: true },
        { path: "socratic/test-00000-of-00001.parquet", content: new Uint8Array([1, 2, 3]), lfs: true },
      ], "dataset");
      using server = new FakeOpenAi("fake/model", sampleScript);
      const config = parseEvalGsm8kArgs({ url: server.url, "num-shots": "2" });
      const lines: string[] = [];
      const hubOptions = { endpoint: hub.url, cacheDir, env: {}, quiet: true };
      const first = await runEvalGsm8k(config, (l) => lines.push(l), new EvalProgress(capture().stream), hubOptions);

      expect(lines[0]).toStartWith(`GSM8K ${GSM8K_REPO}@${COMMIT.slice(0, 12)} main/test: 7 problems, 2-shot`);
      expect(first.summary.scores["strict-match"].correct).toBe(4);
      expect(first.summary.scores["flexible-extract"].correct).toBe(5);
      expect(first.records.map((r) => r.id)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(server.seen[0]!.body.prompt as string).toStartWith(`Question: ${problems[0]!.question}\nAnswer: ${problems[0]!.answer}`);
      expect(hub.count("/datasets/openai/gsm8k/resolve/")).toBe(2);
      const snapshot = join(cacheDir, "datasets--openai--gsm8k", "snapshots", COMMIT);
      expect(existsSync(join(snapshot, GSM8K_TEST_FILE))).toBe(true);
      expect(existsSync(join(snapshot, "socratic"))).toBe(false);

      const before = hub.requests.length;
      const again = await runEvalGsm8k(parseEvalGsm8kArgs({ url: server.url, "num-shots": "2", limit: "2" }), () => {},
        new EvalProgress(capture().stream), { ...hubOptions, offline: true });
      expect(again.records.map((r) => r.id)).toEqual([0, 1]);
      expect(hub.requests.length).toBe(before);
    }));
});

describe("vllm-mlx eval gsm8k (the CLI)", () => {
  test("runs from the command line and exits 0; an unknown flag exits 2", () =>
    withTempDir(async (dir) => {
      using server = new FakeOpenAi("fake/model", sampleScript);
      const main = join(import.meta.dir, "main.ts");
      const output = join(dir, "r.json");
      const run = Bun.spawn([process.execPath, main, "eval", "gsm8k", "--url", server.url, "--data", SAMPLE, "--num-shots", "2",
        "--limit", "3", "--output", output], { stdout: "pipe", stderr: "pipe" });
      const [stdout, stderr, code] = await Promise.all([new Response(run.stdout).text(), new Response(run.stderr).text(), run.exited]);
      expect(code).toBe(0);
      expect(stdout).toContain("strict-match      2/3 =  66.7% ± 33.3%\nflexible-extract  3/3 = 100.0% ±  0.0%");
      expect(stderr.trim().split("\n").at(-1)).toBe(`[${"#".repeat(30)}] 3/3 strict 2 flexible 3`);
      expect(JSON.parse(readFileSync(output, "utf8")).summary.n).toBe(3);

      const bad = Bun.spawn([process.execPath, main, "eval", "gsm8k", "--shots", "2"], { stdout: "pipe", stderr: "pipe" });
      expect(await bad.exited).toBe(2);
      expect(await new Response(bad.stderr).text()).toContain("unknown option --shots");
    }), 20_000);
});
