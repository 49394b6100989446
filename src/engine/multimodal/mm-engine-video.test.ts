/**
 * A Qwen3-VL video through the engine, on a random-weight Qwen3-VL folder: its prompt is built as mlx-vlm 0.7.10
 * tokenizes it (one `<t.t seconds>` and vision block per temporal group, checked against mlx-vlm's processor by
 * `scripts/parity-vlm-preprocess.ts`), the item's range runs from its first pad to its last, and the engine's tokens
 * (batched with text and an image, chunked prefill cutting between and inside the blocks, then a prefix-cache
 * hit) equal the single-sequence VLM `generate()` on the same ids (whose model path matches mlx-vlm,
 * `bun run parity:vlm`).
 *
 * Batch-invariance check (FIELD-NOTES "Batch invariance"): token identity with the solo run, a first divergence
 * accepted only where the solo top-2 logprob gap is below NEAR_TIE; the test requires none.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeQwenVlFixture } from "../../../scripts/fixtures/vlm-qwen.ts";
import { loadModelDir } from "../../models/load.ts";
import { loadVisionProcessor } from "../../models/vision/load-processor.ts";
import { expandPlaceholders, placeholderRanges, placeholderRuns, type ProcessedMedia, type VisionProcessor } from "../../models/vision/processor.ts";
import type { VlmModel } from "../../models/vision/vlm.ts";
import { loadTokenizer, type ModelTokenizer } from "../../tokenizer/index.ts";
import { EngineCore } from "../engine-core/engine-core.ts";
import { drain, expectSameTokens } from "../engine-core/testing.ts";
import type { MultiModalItem } from "./mm-items.ts";
import { batchAgainstSolo, type MmPrompt, mmRequest, soloQwenVl } from "./testing.ts";
import { multimodalModel } from "./vision-model.ts";

function frames(n: number, width: number, height: number, seed: number) {
  return Array.from({ length: n }, (_, t) => {
    const data = new Uint8Array(width * height * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + t * 57 + seed * 13) & 255;
    return { width, height, data };
  });
}

/** The chat prompt with `media` expanded, tokenized and located, as the prompt thread prepares it. */
function prompt(tok: ModelTokenizer, processor: VisionProcessor, media: (ProcessedMedia & { hash: string })[], question: string): MmPrompt {
  const content = [...media.map((m) => ({ type: m.kind })), { type: "text", text: question }];
  const text = tok.applyChatTemplate([{ role: "user", content } as never]);
  const tokens = tok.encode(expandPlaceholders(text, media, processor));
  const items = media.map((m): MultiModalItem => {
    const [[offset, end]] = placeholderRanges(tokens, tok.tokenToId(processor.placeholderToken[m.kind]!)!, [placeholderRuns(m)]) as [[number, number]];
    return { kind: m.kind, hash: m.hash, offset, length: end - offset, gridThw: m.gridThw!, pixelValues: m.pixelValues };
  });
  return { tokens, items };
}

describe("VLM engine: a Qwen3-VL video with timestamped groups", () => {
  const dir = mkdtempSync(join(tmpdir(), "mm-engine-qwen3-video-"));
  let vlm: VlmModel;
  let tok: ModelTokenizer;
  let processor: VisionProcessor;
  beforeAll(async () => {
    writeQwenVlFixture("qwen3_vl", dir, { seed: 13 });
    vlm = (await loadModelDir(dir)).vlm as VlmModel;
    tok = await loadTokenizer(dir);
    processor = loadVisionProcessor(dir)!;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("batched with text and an image, chunked across its blocks, then a prefix-cache hit: the solo run's tokens", () => {
    // 6 frames at 0.5 s (fps 2), 64x64: a (3, 4, 4) grid, three blocks of 4 pads at 0.2, 1.2 and 2.2 seconds.
    const video = { ...processor.processVideo!(frames(6, 64, 64, 1), { fps: 2 }), hash: "video-1" };
    expect(video.timestamps).toEqual([0.25, 1.25, 2.25]);
    const p = prompt(tok, processor, [video], "What happens?");
    const text = tok.decode(p.tokens);
    expect(text).toContain(`<0.2 seconds><|vision_start|>${"<|video_pad|>".repeat(4)}<|vision_end|><1.2 seconds>`);
    expect(text).toContain("<2.2 seconds><|vision_start|>");
    const [item] = p.items;
    expect(item!.length).toBeGreaterThan(12 + 2 * 2); // 12 pads and, between blocks, end/timestamp/start tokens
    const image = { ...processor.processImage(frames(1, 96, 64, 2)[0]!), hash: "image-2" };
    const mixed = prompt(tok, processor, [image, video], "Compare them.");
    const plain = prompt(tok, processor, [], "Just text, please.");
    const prompts = [p, plain, mixed];
    const maxTokens = 6;
    const engine = () => new EngineCore(vlm.text, { maxModelLen: 512, numGpuBlocks: 128, blockSize: 8, maxNumBatchedTokens: 12, maxNumSeqs: 8 }, multimodalModel(vlm));
    const core = engine();
    const { got, divergences: batched } = batchAgainstSolo(core, prompts, maxTokens, (q) => soloQwenVl(vlm, q, maxTokens), "video");
    let divergences = batched;
    // The same video and question again: every full block from the cache, the encoder output too.
    const before = core.encoderStats()!;
    core.addRequest(mmRequest("again", p, maxTokens));
    const again = drain(core).get("again")!;
    expect(again.map((t) => t.token)).toEqual(got.get("r0")!.map((t) => t.token));
    expect(again[0]!.numCachedTokens).toBe(Math.floor((p.tokens.length - 1) / 8) * 8);
    expect(core.encoderStats()!.numEncoded).toBe(before.numEncoded);
    // Another video at the same place misses from the block holding its first tokens.
    const other = prompt(tok, processor, [{ ...processor.processVideo!(frames(6, 64, 64, 3), { fps: 2 }), hash: "video-3" }], "What happens?");
    core.addRequest(mmRequest("other", other, maxTokens));
    const miss = drain(core).get("other")!;
    expect(miss[0]!.numCachedTokens).toBe(Math.floor(other.items[0]!.offset / 8) * 8);
    divergences += expectSameTokens(miss.map((t) => t.token), soloQwenVl(vlm, other, maxTokens), "other");
    expect(divergences).toBe(0);
    core.dispose();
  }, 120_000);
});
