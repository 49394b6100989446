/**
 * The VLM engine on tiny random-weight Gemma 3 and LLaVA 1.5 folders (plain positions, merged embeddings):
 * requests with images batch with text-only ones, chunked prefill splits an image's tokens, and each request's
 * tokens equal a single-sequence run on the model's own merged prompt embeddings (`inputEmbeds`, as the
 * mlx-vlm parity runs it).
 *
 * Batch-invariance check (FIELD-NOTES "Batch invariance"): token identity with the solo run, a first
 * divergence accepted only where the solo top-2 logprob gap is below NEAR_TIE; the test requires none.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as mx from "../../mlx/index.ts";
import { loadGemmaLlavaDir } from "../../models/vision/gemma-llava-load.ts";
import { TINY_IMAGE_TOKEN, TINY_VISION, writeTinyVlm } from "../../models/vision/gemma-llava-testing.ts";
import type { ImageLanguageModel } from "../../models/vision/image-vlm.ts";
import { EngineCore, type EngineCoreRequest, type TokenOutput } from "../engine-core/engine-core.ts";
import { generate } from "../runner/generate.ts";
import { GREEDY } from "../sampling/params.ts";
import type { MultiModalItem } from "./mm-items.ts";
import { multimodalModel } from "./vision-model.ts";

const NEAR_TIE = 1e-4;
const SAMPLING = { ...GREEDY, logprobs: 2 };
const S = TINY_VISION.image_size;

function pixels(seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: 3 * S * S }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

function text(n: number, salt: number): number[] {
  return Array.from({ length: n }, (_, i) => 1 + ((i * 37 + salt * 101) % 290));
}

/** `before`, an image of `n` placeholder tokens, `after`. */
function withImage(before: number[], n: number, after: number[], seed: number): { tokens: number[]; items: MultiModalItem[] } {
  const tokens = [...before, ...new Array<number>(n).fill(TINY_IMAGE_TOKEN), ...after];
  return { tokens, items: [{ kind: "image", hash: `img-${seed}`, offset: before.length, length: n,
    pixelValues: { data: pixels(seed), shape: [1, 3, S, S] } }] };
}

function solo(vlm: ImageLanguageModel, p: { tokens: number[]; items: MultiModalItem[] }, maxTokens: number): { tokens: number[]; gaps: number[]; logprobs: number[] } {
  using px = p.items.length > 0 ? mx.array(p.items[0]!.pixelValues.data, { dtype: "float32", shape: [1, 3, S, S] }) : null;
  using feats = px ? vlm.encodeImages(px) : null;
  using embeds = vlm.inputEmbeds(p.tokens, feats);
  const D = embeds.shape[2]!;
  const inputs = { prefill: (a: number, b: number) => ({ inputEmbeds: mx.slice(embeds, [0, a, 0], [1, b, D]) }), decode: {} };
  const out = { tokens: [] as number[], gaps: [] as number[], logprobs: [] as number[] };
  for (const t of generate(vlm.text, p.tokens, { maxTokens, sampling: SAMPLING, stopTokenIds: new Set(), inputs })) {
    out.tokens.push(t.token);
    out.logprobs.push(t.logprob!);
    out.gaps.push(t.top![0]!.logprob - t.top![1]!.logprob);
  }
  return out;
}

function drain(core: EngineCore): Map<string, TokenOutput[]> {
  const got = new Map<string, TokenOutput[]>();
  for (let i = 0; core.hasUnfinished(); i++) {
    if (i > 2000) throw new Error("engine did not finish");
    for (const t of core.step()) got.set(t.requestId, [...(got.get(t.requestId) ?? []), t]);
  }
  return got;
}

for (const arch of ["gemma3", "llava"] as const) {
  describe(`VLM engine: ${arch}`, () => {
    const dir = mkdtempSync(join(tmpdir(), `mm-engine-${arch}-`));
    let vlm: ImageLanguageModel;
    beforeAll(async () => {
      writeTinyVlm(dir, arch, 9);
      vlm = (await loadGemmaLlavaDir(dir)).model;
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test("6 concurrent requests, images and text, chunked prefill splitting images, equal each run alone", () => {
      using probe = mx.zeros([1, 3, S, S], "float32");
      using f = vlm.encodeImages(probe);
      const n = f.shape[1]!; // image tokens per image
      const prompts = [
        withImage(text(3, 1), n, text(5, 2), 1),
        { tokens: text(11, 3), items: [] },
        withImage([], n, text(2, 4), 2),
        { tokens: text(40, 5), items: [] },
        withImage(text(9, 6), n, text(9, 7), 3),
        { tokens: text(4, 8), items: [] },
      ];
      const core = new EngineCore(vlm.text, { maxModelLen: 256, numGpuBlocks: 128, blockSize: 8, maxNumBatchedTokens: 20, maxNumSeqs: 8 },
        multimodalModel(vlm));
      const request = (id: string, p: (typeof prompts)[number]): EngineCoreRequest => ({ requestId: id, promptTokenIds: p.tokens,
        sampling: SAMPLING, maxTokens: 6, stopTokenIds: new Set(), ...(p.items.length > 0 ? { mm: p.items } : {}) });
      prompts.forEach((p, r) => core.addRequest(request(`r${r}`, p)));
      const got = drain(core);
      let divergences = 0;
      prompts.forEach((p, r) => {
        const want = solo(vlm, p, 6);
        const outs = got.get(`r${r}`)!;
        const tokens = outs.map((t) => t.token);
        const d = tokens.findIndex((t, i) => t !== want.tokens[i]);
        if (d >= 0 && !(want.gaps[d]! < NEAR_TIE)) throw new Error(`${arch} r${r}: token ${d} differs, solo gap ${want.gaps[d]}`);
        if (d >= 0) divergences++;
        // The sampled tokens' logprobs agree too (the features' scale shows here even where greedy tokens don't move).
        else outs.forEach((t, i) => expect(Math.abs(t.logprob! - want.logprobs[i]!)).toBeLessThan(1e-3));
      });
      expect(divergences).toBe(0);
      expect(core.encoderStats()!.numEncoded).toBe(3);
      core.dispose();
    }, 60_000);
  });
}
