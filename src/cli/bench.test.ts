import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProgressBar } from "../bench/progress.ts";
import { createApp, serve, type ServerHandle } from "../server/index.ts";
import { InvalidRequestError } from "../engine/errors.ts";
import { FakeEngine } from "../server/testing/fake-engine.ts";
import {
  BenchArgError, checkFlags, parseConcurrencyList, parseGoodput, parseIntFlag, parseRequestRate,
} from "./bench-args.ts";
import { parseBenchServeArgs, runBenchServe } from "./bench-serve.ts";
import { type ClosableEngine, parseBenchArgs, runBench } from "./bench.ts";

const MAIN = join(import.meta.dir, "main.ts");
const dir = mkdtempSync(join(tmpdir(), "bench-cli-"));

function cli(args: string[]) {
  const p = Bun.spawnSync([process.execPath, MAIN, ...args], { env: { ...process.env, NO_COLOR: "1" },
    stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

function tokens(n: number): string[] {
  return Array.from({ length: n }, (_, i) => ` w${i}`);
}

function fakeEngine(): FakeEngine & ClosableEngine & { closed: boolean } {
  const engine = new FakeEngine((request) => ({ promptTokens: 12, outputs: [tokens(request.sampling.maxTokens ?? 1)],
    firstTokenDelayMs: 10, tokenDelayMs: 2 })) as FakeEngine & ClosableEngine & { closed: boolean };
  engine.closed = false;
  engine.close = async () => {
    engine.closed = true;
  };
  return engine;
}

describe("bench argument parsing", () => {
  test("value parsers", () => {
    expect(parseIntFlag("prompts", "7", 1)).toBe(7);
    expect(() => parseIntFlag("prompts", "7.5", 1)).toThrow("--prompts must be a whole number (got '7.5')");
    expect(() => parseIntFlag("prompts", "0", 1)).toThrow("--prompts must be at least 1 (got 0)");
    expect(parseConcurrencyList("1,2,4,8,16")).toEqual([1, 2, 4, 8, 16]);
    expect(() => parseConcurrencyList("1,,2")).toThrow(BenchArgError);
    expect(parseRequestRate("inf")).toBe(Infinity);
    expect(parseRequestRate("2.5")).toBe(2.5);
    expect(() => parseRequestRate("-1")).toThrow("--request-rate must be positive");
    expect(parseGoodput("ttft:500,tpot:50,e2el:3000")).toEqual({ ttftMs: 500, tpotMs: 50, e2eMs: 3000 });
    expect(() => parseGoodput("ttft=500")).toThrow("--goodput takes metric:ms pairs");
    expect(() => parseGoodput("itl:5")).toThrow(BenchArgError);
  });
  test("checkFlags rejects unknown flags and missing values", () => {
    const known = { prompts: "string", markdown: "boolean" } as const;
    expect(() => checkFlags(["m", "--prompts", "3", "--markdown", "--no-markdown", "--prompts=4"], known)).not.toThrow();
    expect(() => checkFlags(["--promts", "3"], known)).toThrow("unknown option --promts");
    expect(() => checkFlags(["--prompts"], known)).toThrow("--prompts needs a value");
    expect(() => checkFlags(["--prompts", "--markdown"], known)).toThrow("--prompts needs a value");
    // The scan argsProblem shares: an empty value is none, and Object's own members are not flags.
    expect(() => checkFlags(["--prompts="], known)).toThrow("--prompts needs a value");
    expect(() => checkFlags(["--constructor", "x"], known)).toThrow("unknown option --constructor");
  });
  test("bench <model> flags", () => {
    expect(parseBenchArgs({ model: "m", prompts: "3", "max-tokens": "9", concurrency: "2", temperature: "0.7" }))
      .toEqual({ model: "m", numPrompts: 3, maxTokens: 9, temperature: 0.7, warmup: 1, concurrency: 2, markdown: false });
    expect(() => parseBenchArgs({})).toThrow("give a model");
    expect(() => parseBenchArgs({ model: "m", temperature: "hot" })).toThrow("--temperature must be a number");
  });
  test("bench serve flags", () => {
    const c = parseBenchServeArgs({ url: "http://h:1", concurrency: "1,4", dataset: "prefix-repetition",
      "num-prefixes": "2", goodput: "ttft:100" });
    expect(c.loads).toEqual([{ kind: "concurrency", concurrency: 1 }, { kind: "concurrency", concurrency: 4 }]);
    expect(c.dataset).toEqual({ kind: "prefix-repetition", numPrefixes: 2, prefixLen: 256, suffixLen: 32, outputLen: 32 });
    expect(c.slo).toEqual({ ttftMs: 100 });
    expect(parseBenchServeArgs({ url: "http://h:1", "request-rate": "3", "max-concurrency": "2" }).loads)
      .toEqual([{ kind: "rate", requestRate: 3, maxConcurrency: 2 }]);
    expect(() => parseBenchServeArgs({})).toThrow("--url is required");
    expect(() => parseBenchServeArgs({ url: "h:1" })).toThrow("--url must be an http(s) URL");
    expect(() => parseBenchServeArgs({ url: "http://h:1", concurrency: "1", "request-rate": "2" })).toThrow("not both");
    expect(() => parseBenchServeArgs({ url: "http://h:1", dataset: "sharegpt" })).toThrow("--dataset must be one of");
    expect(() => parseBenchServeArgs({ url: "http://h:1", endpoint: "embeddings" })).toThrow("--endpoint must be one of");
  });
  test("the command line reports bad flags with exit code 2", () => {
    const unknown = cli(["bench", "m", "--promts", "3"]);
    expect(unknown.code).toBe(2);
    expect(unknown.out + unknown.err).toContain("unknown option --promts");
    const bad = cli(["bench", "serve", "--url", "http://127.0.0.1:9", "--concurrency", "0"]);
    expect(bad.code).toBe(2);
    expect(bad.out + bad.err).toContain("--concurrency must be at least 1 (got 0)");
    const help = cli(["bench", "serve", "--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("--request-rate");
    expect(cli(["bench", "--help"]).out).toContain("--max-tokens");
  });
});

describe("bench <model> start-up", () => {
  test("the compiled-in engine loads, and a corrupt model file ends the command with its error and exit code 1", () => {
    const bad = join(dir, "corrupt.gguf");
    writeFileSync(bad, "GGUF not really a gguf file");
    const started = performance.now();
    const p = Bun.spawnSync([process.execPath, MAIN, "bench", bad, "--prompts", "1"], {
      env: { ...process.env, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe", timeout: 60_000 });
    expect(p.signalCode).toBeUndefined();
    expect(p.exitCode).toBe(1);
    expect(p.stderr.toString()).toContain("corrupt.gguf");
    expect(p.stderr.toString()).not.toContain("no engine to benchmark");
    expect(performance.now() - started).toBeLessThan(60_000);
  });
});

describe("bench <model> in-process over FakeEngine", () => {
  test("runs, prints the tables, writes JSON and closes the engine", async () => {
    const engine = fakeEngine();
    const lines: string[] = [];
    const output = join(dir, "inproc.json");
    const result = await runBench(
      { model: "fake", numPrompts: 4, maxTokens: 5, temperature: 0, warmup: 1, concurrency: 2, markdown: false, output },
      async () => engine, (l) => lines.push(l),
      { progress: new ProgressBar(process.stderr, false), memory: async () => ({ peakBytes: 3 << 20, cacheBytes: 1 << 20,
        activeBytes: 2 << 20 }) });
    expect(engine.closed).toBe(true);
    expect(engine.requests.length).toBe(5);
    expect(engine.requests.every((r) => r.sampling.maxTokens === 5 && r.kind === "chat")).toBe(true);
    expect(result.summary.completed).toBe(4);
    expect(result.summary.totalOutputTokens).toBe(20);
    expect(result.summary.totalInputTokens).toBe(48);
    expect(result.summary.ttftMs.mean).toBeGreaterThanOrEqual(9);
    expect(result.resources.peakRssBytes).toBeGreaterThan(1 << 20);
    const text = lines.join("\n");
    for (const label of ["TTFT (ms)", "TPOT (ms)", "Generation (tok/s)", "Prompt processing (tok/s)",
      "Latency per request (s)", "Total throughput (tok/s)", "Requests/s", "MLX peak memory", "3.00 MiB",
      "MLX cache memory", "System memory (total)"]) expect(text).toContain(label);
    const json = JSON.parse(readFileSync(output, "utf8"));
    expect(json.records.length).toBe(4);
    expect(json.summary.totalOutputTokens).toBe(20);
  });
});

describe("bench serve end to end", () => {
  let handle: ServerHandle;
  let engine: FakeEngine;
  beforeAll(async () => {
    engine = new FakeEngine((request) => ({
      promptTokens: (request.kind === "completion" && typeof request.prompt === "string"
        ? request.prompt.split(" ").length : 0) + 2,
      outputs: [tokens(request.sampling.maxTokens ?? 1)], firstTokenDelayMs: 5, tokenDelayMs: 1,
    }));
    handle = await serve(createApp({ engine, logger: { info() {}, warn() {}, error() {} } }), { port: 0 });
  });
  afterAll(() => handle.stop(100));

  test("runBenchServe finds the model, sweeps, writes JSON and SVG", async () => {
    const lines: string[] = [];
    const config = parseBenchServeArgs({ url: handle.url.toString(), concurrency: "1,2,4", "num-prompts": "4",
      "input-len": "30", "output-len": "3", goodput: "ttft:5000", output: join(dir, "r.json"), svg: join(dir, "c.svg") });
    const result = await runBenchServe(config, (l) => lines.push(l), new ProgressBar(process.stderr, false));
    expect(result.rows.map((r) => r.summary.completed)).toEqual([4, 4, 4]);
    expect(lines[0]).toContain("fake-org/fake-model @");
    expect(lines[0]).toContain("2.0 + 1.000 tokens/word");
    const json = JSON.parse(readFileSync(join(dir, "r.json"), "utf8"));
    expect(json.rows.length).toBe(3);
    expect(json.rows[2].summary.totalInputTokens).toBe(120);
    const svg = readFileSync(join(dir, "c.svg"), "utf8");
    expect(svg.startsWith("<?xml")).toBe(true);
    expect((svg.match(/<circle /g) ?? []).length).toBe(9);
  });

  test("--prompts-per-concurrency fills high levels; warm-up is sent per slot at the run's concurrency", async () => {
    const config = parseBenchServeArgs({ url: handle.url.toString(), concurrency: "1,4", "num-prompts": "2",
      "prompts-per-concurrency": "3", warmup: "1", "input-len": "10", "output-len": "2" });
    expect(config.promptsPerConcurrency).toBe(3);
    const before = engine.requests.length;
    const result = await runBenchServe(config, () => {}, new ProgressBar(process.stderr, false));
    expect(result.rows.map((r) => r.summary.completed)).toEqual([3, 12]);
    // Two calibration probes, then per level: warm-up (1 x c) and the run.
    expect(engine.requests.length - before).toBe(2 + (1 + 3) + (4 + 12));
    expect(() => parseBenchServeArgs({ url: "http://x", "prompts-per-concurrency": "0" })).toThrow(BenchArgError);
  });
});

describe("bench serve failures", () => {
  test("a run where every request fails exits 1 with one line; a missing output folder fails before any request", async () => {
    const engine = new FakeEngine((request) => (request.sampling.maxTokens === 7
      ? { throwBeforeStart: new InvalidRequestError("prompt too long", "prompt") }
      : { promptTokens: (request.kind === "completion" && typeof request.prompt === "string" ? request.prompt.split(" ").length : 0) + 2,
        outputs: [tokens(request.sampling.maxTokens ?? 1)] }));
    const handle = await serve(createApp({ engine, logger: { info() {}, warn() {}, error() {} } }), { port: 0 });
    try {
      const p = Bun.spawn([process.execPath, MAIN, "bench", "serve", "--url", handle.url.toString(), "--num-prompts", "2",
        "--input-len", "8", "--output-len", "7", "--warmup", "0"], { env: { ...process.env, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" });
      const [code, out, err] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
      expect(out).toContain("c=1: failed request: HTTP 400");
      expect(err).toContain("bench serve: every request failed");
      expect(code).toBe(1);

      const before = engine.requests.length;
      const config = parseBenchServeArgs({ url: handle.url.toString(), "num-prompts": "1", svg: "/nonexistent-vllm-mlx-dir/c.svg" });
      await expect(runBenchServe(config, () => {}, new ProgressBar(process.stderr, false)))
        .rejects.toThrow("--svg /nonexistent-vllm-mlx-dir/c.svg: the folder /nonexistent-vllm-mlx-dir does not exist");
      expect(engine.requests.length).toBe(before);
    } finally {
      await handle.stop(100);
    }
  });

  test("a server that is down is named in the error", async () => {
    const config = parseBenchServeArgs({ url: "http://127.0.0.1:9", "num-prompts": "1" });
    await expect(runBenchServe(config, () => {}, new ProgressBar(process.stderr, false)))
      .rejects.toThrow("GET /v1/models at http://127.0.0.1:9 failed (is the server up?)");
  });
});
