import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeQwenVlFixture } from "../../scripts/fixtures/vlm-qwen.ts";
import { writeServableVlm } from "../models/vision/servable-vlm.ts";
import { BenchArgError } from "./bench-args.ts";
import { parseVlmBenchArgs, runVlmBench, vlmFolder } from "./bench-vlm.ts";

const MAIN = join(import.meta.dir, "main.ts");
const dir = mkdtempSync(join(tmpdir(), "bench-vlm-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("parseVlmBenchArgs", () => {
  test("defaults and flags", () => {
    expect(parseVlmBenchArgs({ model: "m" })).toEqual({ model: "m", video: false, quick: false, maxTokens: 256, warmup: 1, markdown: false });
    expect(parseVlmBenchArgs({ model: "m", video: true, quick: true, "max-tokens": "32", warmup: "0", output: "r.json", markdown: true }))
      .toEqual({ model: "m", video: true, quick: true, maxTokens: 32, warmup: 0, output: "r.json", markdown: true });
  });

  test("bad values and text-only flags are errors", () => {
    expect(() => parseVlmBenchArgs({})).toThrow(BenchArgError);
    expect(() => parseVlmBenchArgs({ model: "m", "max-tokens": "1" })).toThrow("--max-tokens must be at least 2 (got 1)");
    expect(() => parseVlmBenchArgs({ model: "m", warmup: "x" })).toThrow("--warmup must be a whole number (got 'x')");
    expect(() => parseVlmBenchArgs({ model: "m", concurrency: "4" })).toThrow("--concurrency is for text models");
    expect(() => parseVlmBenchArgs({ model: "m", prompts: "9" })).toThrow("--prompts is for text models");
    expect(() => parseVlmBenchArgs({ model: "m", temperature: "0.7" })).toThrow("--temperature is for text models");
    // The defaults citty fills in are not errors.
    expect(parseVlmBenchArgs({ model: "m", prompts: "5", concurrency: "1", temperature: "0" }).maxTokens).toBe(256);
  });
});

describe("the VLM benchmark on a tiny random-weight Qwen2.5-VL folder", () => {
  const model = join(dir, "qwen2_5_vl");
  writeQwenVlFixture("qwen2_5_vl", model, { seed: 5 });

  test("vlmFolder detects the VLM; a missing folder is not one", async () => {
    expect(await vlmFolder(model)).toBe(model);
    expect(await vlmFolder(join(dir, "nope"))).toBeNull();
  });

  test("the quick image cases end to end: table, summary and JSON", async () => {
    const lines: string[] = [];
    const output = join(dir, "r.json");
    const results = await runVlmBench({ ...parseVlmBenchArgs({ model, quick: true, "max-tokens": "4", warmup: "0" }), output }, model,
      (l) => lines.push(l));
    expect(results.map((r) => r.case.name)).toEqual(["224x224", "448x448", "768x768", "1024x1024"]);
    for (const r of results) {
      expect(r.error).toBeUndefined();
      const t = r.timing!;
      expect(t.generatedTokens).toBe(4);
      // The fixture's processor caps images at 64 * 28 * 28 pixels: 224x224 -> 8x8 merged = 64 tokens.
      expect(t.mediaTokens).toBeGreaterThan(0);
      expect(t.mediaTokens).toBeLessThanOrEqual(64);
      expect(t.promptTokens).toBeGreaterThan(t.mediaTokens);
      expect(t.encodeMs).toBeGreaterThan(0);
      expect(t.ttftMs).toBeGreaterThan(t.encodeMs);
      expect(t.decodeTps).toBeGreaterThan(0);
      expect(t.peakMemoryBytes).toBeGreaterThan(0);
    }
    expect(results[0]!.timing!.mediaTokens).toBe(64);
    const text = lines.join("\n");
    expect(text).toContain("Resolution");
    expect(text).toContain("Encoder (ms)");
    expect(text).toMatch(/^Peak memory \(MLX\): /m);
    const saved = JSON.parse(readFileSync(output, "utf8")) as { results: { timing: { generatedTokens: number } }[] };
    expect(saved.results.map((r) => r.timing.generatedTokens)).toEqual([4, 4, 4, 4]);
  }, 60_000);

  test("the CLI runs a video case and refuses text-only flags for a VLM", () => {
    const run = (args: string[]) => Bun.spawnSync([process.execPath, MAIN, "bench", model, ...args], { stdout: "pipe", stderr: "pipe" });
    const ok = run(["--video", "--quick", "--max-tokens", "2", "--warmup", "0", "--markdown"]);
    expect(ok.exitCode).toBe(0);
    const out = ok.stdout.toString();
    expect(out).toContain("| Configuration");
    expect(out).toContain("4 frames @ 1fps");
    expect(out).toContain("16 frames @ 2fps");
    const notVlm = Bun.spawnSync([process.execPath, MAIN, "bench", join(dir, "no-such-model"), "--video"], { stdout: "pipe", stderr: "pipe" });
    expect(notVlm.exitCode).toBe(2);
    expect(notVlm.stderr.toString()).toContain("--video and --quick are for vision-language models");
    const bad = run(["--concurrency", "2"]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.toString()).toContain("--concurrency is for text models");
  }, 60_000);
});

describe("the VLM benchmark on the image-token families", () => {
  test("a tiny LLaVA 1.5 folder: the image cases run; --video is refused up front", async () => {
    const model = join(dir, "llava");
    writeServableVlm(model, "llava", { seed: 2 });
    const results = await runVlmBench(parseVlmBenchArgs({ model, quick: true, "max-tokens": "3", warmup: "0" }), model, () => {});
    expect(results.map((r) => [r.error, r.timing?.generatedTokens])).toEqual([[undefined, 3], [undefined, 3], [undefined, 3], [undefined, 3]]);
    // LLaVA 1.5 turns every image into the same number of placeholder tokens.
    expect(new Set(results.map((r) => r.timing!.mediaTokens)).size).toBe(1);
    await expect(runVlmBench(parseVlmBenchArgs({ model, video: true }), model, () => {})).rejects.toThrow("takes no video");
  }, 60_000);
});
