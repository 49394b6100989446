/**
 * The VLM engine on random-weight Qwen-VL folders: requests with images and videos batch with text-only ones,
 * with chunked prefill that splits an image and prefix-cache hits that start inside one, and each request's
 * tokens equal the single-sequence VLM `generate()` (whose model path matches mlx-vlm, `bun run parity:vlm`).
 *
 * Batch-invariance check (FIELD-NOTES "Batch invariance"): token identity with the solo run, except that a first
 * divergence is accepted only at a near-tie, where the solo run's top-2 logprob gap is below NEAR_TIE; the test
 * counts such divergences and requires none on these fixtures.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type QwenVlArch, writeQwenVlFixture } from "../../../scripts/fixtures/vlm-qwen.ts";
import { loadModelDir } from "../../models/load.ts";
import type { VlmModel } from "../../models/vision/vlm.ts";
import { EngineCore, type EngineCoreConfig } from "../engine-core/engine-core.ts";
import { drain, expectSameTokens } from "../engine-core/testing.ts";
import type { MultiModalItem } from "./mm-items.ts";
import { batchAgainstSolo, lcgPixels, type MmPrompt, mmRequest, soloQwenVl } from "./testing.ts";
import { multimodalModel } from "./vision-model.ts";

const [VS, VE, IMG, VID] = [151652, 151653, 151655, 151656];

interface Media {
  kind: "image" | "video";
  grid: [number, number, number];
  seed: number;
}

/** A prompt of text runs and media items; returns its tokens and the items at their placeholder ranges. */
function build(parts: (number[] | Media)[], patchDim: number, merge: number): MmPrompt {
  const tokens: number[] = [];
  const items: MultiModalItem[] = [];
  for (const part of parts) {
    if (Array.isArray(part)) {
      tokens.push(...part);
      continue;
    }
    const [t, h, w] = part.grid;
    const n = (t * h * w) / (merge * merge);
    tokens.push(VS);
    const offset = tokens.length;
    for (let i = 0; i < n; i++) tokens.push(part.kind === "image" ? IMG : VID);
    tokens.push(VE);
    items.push({ kind: part.kind, hash: `${part.kind}-${part.seed}`, offset, length: n, gridThw: part.grid,
      pixelValues: { data: lcgPixels(t * h * w * patchDim, part.seed), shape: [t * h * w, patchDim] } });
  }
  return { tokens, items };
}

function text(n: number, salt: number): number[] {
  return Array.from({ length: n }, (_, i) => 100 + ((i * 7919 + salt * 104729) % 150000));
}

const ARCHS: { arch: QwenVlArch; patchDim: number }[] = [
  { arch: "qwen2_5_vl", patchDim: 3 * 2 * 14 * 14 },
  { arch: "qwen3_vl", patchDim: 3 * 2 * 16 * 16 },
];

for (const { arch, patchDim } of ARCHS) {
  describe(`VLM engine: ${arch}`, () => {
    const dir = mkdtempSync(join(tmpdir(), `mm-engine-${arch}-`));
    let vlm: VlmModel;
    beforeAll(async () => {
      writeQwenVlFixture(arch, dir, { seed: 11 });
      vlm = (await loadModelDir(dir)).vlm as VlmModel;
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const engine = (config: Partial<EngineCoreConfig> = {}) =>
      new EngineCore(vlm.text, { maxModelLen: 512, numGpuBlocks: 128, blockSize: 8, maxNumBatchedTokens: 24, maxNumSeqs: 16, ...config }, multimodalModel(vlm));
    const b = (parts: (number[] | Media)[]) => build(parts, patchDim, 2);

    test("8 concurrent requests, images, a video and text, with chunked prefill splitting images, equal each run alone", () => {
      const prompts = [
        b([text(5, 1), { kind: "image", grid: [1, 8, 8], seed: 1 }, text(6, 2)]), // 16 image tokens across chunks
        b([text(9, 3)]),
        b([text(3, 4), { kind: "image", grid: [1, 4, 8], seed: 2 }, text(2, 5), { kind: "image", grid: [1, 6, 4], seed: 3 }, text(4, 6)]),
        b([text(30, 7)]),
        b([text(4, 8), { kind: "video", grid: [2, 4, 4], seed: 4 }, text(3, 9)]),
        b([text(2, 10)]),
        b([{ kind: "image", grid: [1, 8, 12], seed: 5 }, text(7, 11)]), // 24 image tokens: split over two chunks
        b([text(17, 12)]),
      ];
      const maxTokens = 6;
      const core = engine();
      const { got, divergences } = batchAgainstSolo(core, prompts, maxTokens, (p) => soloQwenVl(vlm, p, maxTokens), arch);
      expect(divergences).toBe(0);
      // Each request alone in the engine gives the same tokens as in the batch.
      const alone = engine();
      for (const r of [0, 2, 4]) {
        alone.addRequest(mmRequest(`a${r}`, prompts[r]!, maxTokens));
        expect(drain(alone).get(`a${r}`)!.map((t) => t.token)).toEqual(got.get(`r${r}`)!.map((t) => t.token));
      }
      expect(core.stats()).toMatchObject({ running: 0, waiting: 0, usedBlocks: 0 });
      expect(core.encoderStats()!.numEncoded).toBe(5); // five items, each encoded once
      core.dispose();
      alone.dispose();
    }, 120_000);

    test("the same image again hits the prefix cache; a hit that starts inside the image takes its encoder output from the cache; another image misses", () => {
      const core = engine();
      const first = b([text(3, 20), { kind: "image", grid: [1, 8, 12], seed: 7 }, text(5, 21)]); // image at [4, 28)
      core.addRequest(mmRequest("cold", first, 5));
      const cold = drain(core).get("cold")!;
      expect(cold[0]!.numCachedTokens).toBe(0);
      core.addRequest(mmRequest("warm", first, 5));
      const warm = drain(core).get("warm")!;
      expect(warm.map((t) => t.token)).toEqual(cold.map((t) => t.token));
      expect(warm[0]!.numCachedTokens).toBe(32); // every full block of the 34-token prompt
      // Same image, other question: blocks [0, 24) are shared; the chunk starts at 24, inside the image [4, 28).
      const other = b([text(3, 20), { kind: "image", grid: [1, 8, 12], seed: 7 }, text(5, 22)]);
      const before = core.encoderStats()!;
      core.addRequest(mmRequest("shared", other, 5));
      const shared = drain(core).get("shared")!;
      expect(shared[0]!.numCachedTokens).toBe(24);
      const after = core.encoderStats()!;
      expect(after.hits).toBe(before.hits + 1);
      expect(after.numEncoded).toBe(before.numEncoded);
      let divergences = expectSameTokens(shared.map((t) => t.token), soloQwenVl(vlm, other, 5), `${arch} shared`);
      // A different image at the same place misses from the first block holding its tokens.
      const diff = b([text(3, 20), { kind: "image", grid: [1, 8, 12], seed: 8 }, text(5, 21)]);
      core.addRequest(mmRequest("miss", diff, 5));
      const miss = drain(core).get("miss")!;
      expect(miss[0]!.numCachedTokens).toBe(0); // the image starts in block 0
      expect(core.encoderStats()!.numEncoded).toBe(after.numEncoded + 1);
      divergences += expectSameTokens(miss.map((t) => t.token), soloQwenVl(vlm, diff, 5), `${arch} miss`);
      expect(divergences).toBe(0);
      core.dispose();
    }, 60_000);

    test("a request with an image preempted (recompute) takes its features again and still equals its solo run", () => {
      const prompts = [0, 1, 2].map((k) => b([text(4, 50 + k), { kind: "image", grid: [1, 8, 12], seed: 60 + k }, text(5, 70 + k)]));
      const core = engine({ numGpuBlocks: 11, maxModelLen: 88, mmCacheBytes: 0, enablePrefixCaching: false }); // 88 KV slots: two 35-token prompts fit, not both grown to 45
      prompts.forEach((p, r) => core.addRequest(mmRequest(`p${r}`, p, 10)));
      const got = drain(core);
      expect(core.stats().numPreemptions).toBeGreaterThan(0);
      let divergences = 0;
      prompts.forEach((p, r) => (divergences += expectSameTokens(got.get(`p${r}`)!.map((t) => t.token), soloQwenVl(vlm, p, 10), `${arch} p${r}`)));
      expect(divergences).toBe(0);
      expect(core.encoderStats()!.numEncoded).toBeGreaterThan(3); // a preempted image is encoded again
      core.dispose();
    }, 60_000);

    test("without an encoder cache (mmCacheBytes 0) a repeated image is encoded again and gives the same tokens", () => {
      const p = b([text(10, 30), { kind: "image", grid: [1, 8, 8], seed: 9 }, text(3, 31)]);
      const core = engine({ mmCacheBytes: 0, enablePrefixCaching: false });
      core.addRequest(mmRequest("x", p, 4));
      const x = drain(core).get("x")!;
      core.addRequest(mmRequest("y", p, 4));
      const y = drain(core).get("y")!;
      expect(y.map((t) => t.token)).toEqual(x.map((t) => t.token));
      expect(core.encoderStats()).toMatchObject({ numEncoded: 2, entries: 0, hits: 0 });
      core.dispose();
    });

    test("media for a text-only core, or items that don't fit the prompt, are refused", () => {
      const p = b([text(3, 40), { kind: "image", grid: [1, 4, 4], seed: 10 }]);
      const textOnly = new EngineCore(vlm.text, { maxModelLen: 256, numGpuBlocks: 32, blockSize: 8 });
      expect(() => textOnly.addRequest(mmRequest("t", p, 2))).toThrow(/text only/);
      textOnly.dispose();
      const core = engine();
      const shifted = { ...p, items: [{ ...p.items[0]!, offset: p.items[0]!.offset + 1 }] };
      expect(() => core.addRequest(mmRequest("bad", shifted, 2))).toThrow(/placeholder tokens|past the prompt/);
      const wrongGrid = { ...p, items: [{ ...p.items[0]!, gridThw: [1, 8, 8] as [number, number, number] }] };
      expect(() => core.addRequest(mmRequest("grid", wrongGrid, 2))).toThrow(/grid/);
      core.dispose();
    });
  });
}
