import { describe, expect, test } from "bun:test";
import { adversarialCases, hugeBodyCase, mutatedCase } from "./fuzz-cases.ts";
import { isOpenAiError, quantile, seededRandom, Tally } from "./http.ts";
import { failures, toMarkdown } from "./report.ts";
import { parseMetrics } from "./server.ts";
import { planCut } from "./soak.ts";

describe("isOpenAiError", () => {
  test("accepts OpenAI's shape and rejects anything else", () => {
    expect(isOpenAiError('{"error":{"message":"bad","type":"invalid_request_error","param":null,"code":null}}')).toBe(true);
    expect(isOpenAiError('{"error":{"message":"bad","type":"x"}}')).toBe(true);
    for (const body of ["", "Internal Server Error", "{}", '{"error":"bad"}', '{"error":{"message":"bad"}}',
      '{"error":{"message":1,"type":"x"}}', '{"detail":"bad"}', "null", '[{"error":{}}]']) {
      expect(isOpenAiError(body)).toBe(false);
    }
  });
});

describe("Tally", () => {
  test("counts 5xx, unshaped errors, timeouts and network errors", () => {
    const tally = new Tally();
    tally.add("ok", { status: 200, body: "{}" });
    tally.add("shaped 400", { status: 400, body: '{"error":{"message":"m","type":"t"}}' });
    tally.add("plain 400", { status: 400, body: "Bad Request" });
    tally.add("plain 500", { status: 500, body: "oops" });
    tally.add("shaped 503", { status: 503, body: '{"error":{"message":"m","type":"t"}}' });
    tally.add("slow", { status: 0, body: "", failure: "timeout" });
    tally.add("reset", { status: 0, body: "", failure: "network" });
    expect(tally.requests).toBe(7);
    expect(tally.serverErrors).toBe(2);
    expect(tally.unshapedErrors).toBe(2);
    expect(tally.timeouts).toBe(1);
    expect(tally.networkErrors).toBe(1);
    expect(tally.statuses).toEqual({ "200": 1, "400": 2, "500": 1, "503": 1, timeout: 1, network: 1 });
    expect(tally.examples.length).toBe(5);
  });
});

describe("seededRandom and quantile", () => {
  test("the same seed gives the same sequence in [0, 1)", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 100 }, () => a());
    expect(xs).toEqual(Array.from({ length: 100 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBe(100);
  });

  test("nearest-rank quantiles", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(quantile(values, 0.5)).toBe(50);
    expect(quantile(values, 0.99)).toBe(99);
    expect(quantile(values, 1)).toBe(100);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe("parseMetrics", () => {
  test("reads gauges and labelled counters, skips comments", () => {
    const m = parseMetrics('# HELP x y\nvllm_mlx_kv_cache_blocks_used 3\nvllm_mlx_requests_total{status="200"} 12\n');
    expect(m.get("vllm_mlx_kv_cache_blocks_used")).toBe(3);
    expect(m.get('vllm_mlx_requests_total{status="200"}')).toBe(12);
    expect(m.size).toBe(2);
  });
});

describe("fuzz cases", () => {
  test("cover every category the suite promises, with unique names", () => {
    const cases = adversarialCases();
    const names = cases.map((c) => c.name);
    expect(new Set(names.filter((n) => !n.startsWith("control"))).size).toBe(names.filter((n) => !n.startsWith("control")).length);
    for (const prefix of ["nesting:", "number:", "utf-8:", "content part:", "logit_bias key", "body:", "content type:", "wrong type:"]) {
      expect(names.some((n) => n.startsWith(prefix))).toBe(true);
    }
    for (const key of ["2147483647", "9999999999", "-1"]) expect(names).toContain(`logit_bias key "${key}"`);
    const deep = cases.find((c) => c.name === "nesting: 10,000 arrays as content")!;
    expect((deep.body as string).split("[").length - 1).toBeGreaterThanOrEqual(10_000);
    const utf8 = cases.find((c) => c.name === "utf-8: lone 0xff")!;
    expect(utf8.body).toBeInstanceOf(Uint8Array);
    expect(() => new TextDecoder("utf-8", { fatal: true }).decode(utf8.body as Uint8Array)).toThrow();
  });

  test("the sample is a seeded subset of the wrong-type grid", () => {
    const all = adversarialCases().length;
    const a = adversarialCases({ sample: 50, seed: 3 });
    expect(a.map((c) => c.name)).toEqual(adversarialCases({ sample: 50, seed: 3 }).map((c) => c.name));
    expect(a.length).toBeLessThan(all);
    expect(a.filter((c) => c.name.startsWith("wrong type:")).length).toBe(50);
  });

  test("the huge body is 50 MB and mutations are valid JSON", () => {
    expect((hugeBodyCase().body as string).length).toBeGreaterThan(50 * 1024 * 1024);
    const random = seededRandom(1);
    for (let i = 0; i < 200; i++) {
      const body = mutatedCase(random, i).body as string;
      if (!body.includes("1e999")) expect(() => JSON.parse(body)).not.toThrow();
    }
  });
});

describe("planCut", () => {
  test("spreads cuts over every point", () => {
    const random = seededRandom(5);
    const kinds = Array.from({ length: 600 }, () => planCut(random).kind);
    for (const kind of ["mid-request", "before-headers"]) expect(kinds.filter((k) => k === kind).length).toBeGreaterThan(60);
    for (const kind of ["after-first-chunk", "mid-stream"]) expect(kinds.filter((k) => k === kind).length).toBeGreaterThan(150);
  });
});

describe("report", () => {
  test("markdown lists figures and invariants; failures names the failed ones", () => {
    const results = [{ part: "p", seconds: 1, figures: { a: 1.23456, b: "x" }, notes: ["n"],
      invariants: [{ name: "good", ok: true, detail: "d" }, { name: "bad", ok: false, detail: "a|b" }] }];
    const md = toMarkdown(results, { machine: "m" });
    expect(md).toContain("| a | 1.235 |");
    expect(md).toContain("| bad | ❌ | a\\|b |");
    expect(failures(results)).toEqual(["p: bad (a|b)"]);
  });
});
