/**
 * Servable Gemma 3, LLaVA and LLaVA-NeXT fixtures (real tokenizers and chat templates, `servable-vlm.ts`) from
 * the chat request to the engine: the prompt side (template markers, `expandPlaceholders`, placeholder ranges)
 * gives each image its processor's token count, and the engine answers image requests, batched with each other
 * and a text request under chunked prefill, with the same greedy tokens as the single-sequence path
 * (`generate` with the model's merged prompt embeddings as `PromptInputs`).
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_MEDIA_POLICY } from "../../media/index.ts";
import { gradientImage } from "../../media/testing.ts";
import * as mx from "../../mlx/index.ts";
import { loadModelDir } from "../../models/load.ts";
import type { TinyVlmArch } from "../../models/vision/gemma-llava-testing.ts";
import type { ImageLanguageModel } from "../../models/vision/image-vlm.ts";
import { loadVisionProcessor } from "../../models/vision/load-processor.ts";
import { expandPlaceholders } from "../../models/vision/processor.ts";
import { GEMMA3_VOCAB, LLAVA_VOCAB, writeServableVlm } from "../../models/vision/servable-vlm.ts";
import { loadTokenizer, type ModelTokenizer } from "../../tokenizer/index.ts";
import { EngineCore, type TokenOutput } from "../engine-core/engine-core.ts";
import { templateMessages } from "../frontend/media-inputs.ts";
import { prepareMediaPrompt } from "../frontend/media-prompt.ts";
import { dataUrl, mediaRequest } from "../frontend/media-testing.ts";
import type { PreparedPrompt } from "../frontend/prompt.ts";
import { generate } from "../runner/generate.ts";
import { GREEDY } from "../sampling/params.ts";
import { multimodalModel } from "./vision-model.ts";

// Writing and loading 128k-262k-token vocabularies and decoding images take seconds on a busy 2-core machine.
setDefaultTimeout(120_000);

const SAMPLING = { ...GREEDY, logprobs: true, topLogprobs: 1 };
const SERVING = { policy: DEFAULT_MEDIA_POLICY, videoFps: 2, videoMaxFrames: 128 };
const PARITY = join(import.meta.dir, "../../../scripts/parity/vlm-preprocess-fixtures");
const root = mkdtempSync(join(tmpdir(), "mm-servable-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function count(ids: readonly number[], id: number): number {
  return ids.filter((t) => t === id).length;
}

async function prepare(dir: string, tok: ModelTokenizer, question: string, images: Uint8Array[]): Promise<PreparedPrompt> {
  const processor = loadVisionProcessor(dir)!;
  const parts = [...images.map((b) => ({ type: "image_url" as const, image_url: { url: dataUrl("image/png", b) } })), { type: "text" as const, text: question }];
  const request = mediaRequest(parts) as Parameters<typeof prepareMediaPrompt>[2];
  return await prepareMediaPrompt(tok, processor, request, { contextLength: 4096 }, SERVING);
}

/** The single-sequence path: the model's merged prompt embeddings through `generate` (`blind`: image features zeroed). */
function solo(vlm: ImageLanguageModel, p: PreparedPrompt, maxTokens: number, blind = false): { tokens: number[]; logprobs: number[] } {
  const feats = (p.media ?? []).map((m) => {
    using px = mx.array(m.pixelValues.data, { dtype: "float32", shape: m.pixelValues.shape });
    using f = vlm.encodeImages(px, m.imageSize);
    using rows = mx.reshape(f, [-1, f.shape[f.ndim - 1]!]);
    return blind ? mx.zeros(rows.shape, rows.dtype) : mx.contiguous(rows);
  });
  using all = feats.length > 0 ? mx.concatenate(feats, 0) : null;
  for (const f of feats) f.dispose();
  using embeds = vlm.inputEmbeds(p.tokenIds, all);
  const D = embeds.shape[2]!;
  const inputs = { prefill: (a: number, b: number) => ({ inputEmbeds: mx.slice(embeds, [0, a, 0], [1, b, D]) }), decode: {} };
  const out = [...generate(vlm.text, p.tokenIds, { maxTokens, sampling: SAMPLING, stopTokenIds: new Set(), inputs, prefillStepSize: 16 })];
  return { tokens: out.map((t) => t.token), logprobs: out.map((t) => t.logprob!) };
}

describe("the prompt side at real sizes: Gemma 3's 256 tokens, CLIP's 576", () => {
  for (const [arch, marker, token, want] of [["gemma3", "<start_of_image>", "<image_soft_token>", 256], ["llava", "<image>", "<image>", 576]] as const) {
    test(`${arch}: the fixture's template renders the marker, expanded to ${want} tokens by the real-size processor`, async () => {
      const dir = join(root, `${arch}-template`);
      writeServableVlm(dir, arch);
      const tok = await loadTokenizer(dir);
      const messages = templateMessages([{ role: "user", content: [{ type: "image_url", image_url: { url: "data:" } }, { type: "text", text: "What is it?" }] }]);
      const text = tok.applyChatTemplate(messages as Parameters<ModelTokenizer["applyChatTemplate"]>[0]);
      expect(text.split(marker).length - 1).toBe(1);
      const real = loadVisionProcessor(join(PARITY, arch))!; // mlx-community's processor configs (896; 336 with patch 14)
      const n = real.processImage({ width: 40, height: 30, data: new Uint8Array(40 * 30 * 3) }).numTokens;
      expect(n).toBe(want);
      const ids = tok.encode(expandPlaceholders(text, [{ kind: "image", numTokens: n }], real));
      expect(count(ids, tok.tokenToId(token)!)).toBe(want);
      if (arch === "gemma3") {
        expect([count(ids, GEMMA3_VOCAB.boiToken), count(ids, GEMMA3_VOCAB.eoiToken)]).toEqual([1, 1]);
        expect(tok.tokenToId("<image_soft_token>")).toBe(GEMMA3_VOCAB.imageToken);
      } else {
        expect(tok.tokenToId("<image>")).toBe(LLAVA_VOCAB.imageToken);
        expect(ids[0]).toBe(tok.bosTokenId!);
        expect(count(ids, tok.bosTokenId!)).toBe(1);
      }
    });
  }
});

const ARCHS: [TinyVlmArch, number][] = [["gemma3", GEMMA3_VOCAB.imageToken], ["llava", LLAVA_VOCAB.imageToken], ["llava_next", LLAVA_VOCAB.imageToken]];

for (const [arch, imageToken] of ARCHS) {
  describe(`servable ${arch} fixture through the engine`, () => {
    test("image requests batched with text equal the single-sequence path, token for token", async () => {
      const dir = join(root, arch);
      writeServableVlm(dir, arch, { seed: 11 });
      const loaded = await loadModelDir(dir);
      const vlm = loaded.vlm as ImageLanguageModel;
      expect(loaded.model.spec.config.vocabSize).toBe(arch === "gemma3" ? GEMMA3_VOCAB.vocabSize : LLAVA_VOCAB.vocabSize);
      const tok = await loadTokenizer(dir);
      const [wide, tall] = [await gradientImage(60, 40), await gradientImage(24, 70)];
      const prompts = [
        await prepare(dir, tok, "What is in this picture?", [wide]),
        await prepare(dir, tok, "Compare the two.", [tall, wide]),
        { tokenIds: tok.encode("Hello there, a text-only request."), maxTokens: 8 } as PreparedPrompt,
      ];
      // The fixture's counts: Gemma 3 16 soft tokens; LLaVA 8x8 = 64; LLaVA-NeXT 64 + its unpadded grid rows.
      for (const p of prompts.slice(0, 2)) {
        for (const m of p.media!) {
          expect(count(p.tokenIds.slice(m.offset, m.offset + m.length), imageToken)).toBe(m.numTokens);
          if (arch !== "llava_next") expect(m.numTokens).toBe(arch === "gemma3" ? 16 : 64);
          else expect(m.numTokens).toBeGreaterThan(64);
        }
        expect(count(p.tokenIds, imageToken)).toBe(p.media!.reduce((n, m) => n + m.numTokens, 0));
      }
      const core = new EngineCore(vlm.text, { maxModelLen: 1024, numGpuBlocks: 256, blockSize: 8, maxNumBatchedTokens: 24, maxNumSeqs: 4 },
        multimodalModel(vlm));
      prompts.forEach((p, r) => core.addRequest({ requestId: `r${r}`, promptTokenIds: p.tokenIds, sampling: SAMPLING, maxTokens: 8,
        stopTokenIds: new Set(), ...(p.media ? { mm: p.media } : {}) }));
      const got = new Map<string, TokenOutput[]>();
      for (let i = 0; core.hasUnfinished(); i++) {
        if (i > 1000) throw new Error("engine did not finish");
        for (const t of core.step()) got.set(t.requestId, [...(got.get(t.requestId) ?? []), t]);
      }
      // Two distinct images: the wide one's second use comes from the encoder cache.
      expect(core.encoderStats()!.numEncoded).toBe(2);
      core.dispose();
      prompts.forEach((p, r) => {
        const want = solo(vlm, p, 8);
        const outs = got.get(`r${r}`)!;
        expect(outs.map((t) => t.token)).toEqual(want.tokens);
        // The sampled tokens' logprobs agree too: they move with the image features where greedy tokens may not.
        outs.forEach((t, i) => expect(Math.abs(t.logprob! - want.logprobs[i]!)).toBeLessThan(1e-3));
      });
      // The features matter: without them the first image request's logprobs move.
      const blind = solo(vlm, prompts[0]!, 8, true);
      expect(Math.max(...blind.logprobs.map((l, i) => Math.abs(l - got.get("r0")![i]!.logprob!)))).toBeGreaterThan(1e-2);
    });
  });
}
