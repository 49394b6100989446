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
import { EngineCore } from "../engine-core/engine-core.ts";
import { drain, NEAR_TIE, solo, type Solo } from "../engine-core/testing.ts";
import { GREEDY } from "../sampling/params.ts";
import { lcgPixels, type MmPrompt, mmRequest } from "./testing.ts";
import { multimodalModel } from "./vision-model.ts";

const S = TINY_VISION.image_size;

function text(n: number, salt: number): number[] {
  return Array.from({ length: n }, (_, i) => 1 + ((i * 37 + salt * 101) % 290));
}

/** `before`, an image of `n` placeholder tokens, `after`. */
function withImage(before: number[], n: number, after: number[], seed: number): MmPrompt {
  const tokens = [...before, ...new Array<number>(n).fill(TINY_IMAGE_TOKEN), ...after];
  return { tokens, items: [{ kind: "image", hash: `img-${seed}`, offset: before.length, length: n,
    pixelValues: { data: lcgPixels(3 * S * S, seed), shape: [1, 3, S, S] } }] };
}

function soloImage(vlm: ImageLanguageModel, p: MmPrompt, maxTokens: number): Solo {
  using px = p.items.length > 0 ? mx.array(p.items[0]!.pixelValues.data, { dtype: "float32", shape: [1, 3, S, S] }) : null;
  using feats = px ? vlm.encodeImages(px) : null;
  using embeds = vlm.inputEmbeds(p.tokens, feats);
  const D = embeds.shape[2]!;
  return solo(vlm.text, p.tokens, maxTokens, GREEDY, { prefill: (a, b) => ({ inputEmbeds: mx.slice(embeds, [0, a, 0], [1, b, D]) }), decode: {} });
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
      prompts.forEach((p, r) => core.addRequest(mmRequest(`r${r}`, p, 6)));
      const got = drain(core);
      let divergences = 0;
      prompts.forEach((p, r) => {
        const want = soloImage(vlm, p, 6);
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
