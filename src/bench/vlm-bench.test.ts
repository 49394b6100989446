import { describe, expect, test } from "bun:test";
import { caseMedia, IMAGE_QUESTION, runCases, VIDEO_QUESTION } from "./vlm-bench.ts";
import { syntheticImage, vlmCases } from "./vlm-cases.ts";
import type { BenchMedia, CaseTiming } from "./vlm-runner.ts";

const T: CaseTiming = { promptTokens: 1, mediaTokens: 1, generatedTokens: 1, preprocessMs: 1, encodeMs: 1, ttftMs: 1,
  prefillMs: 1, decodeTps: 1, totalMs: 1, peakMemoryBytes: 1 };

describe("VLM benchmark cases", () => {
  test("the original benchmark's lists: 10 resolutions / 4 quick, 8 frame counts / 3 quick", () => {
    const full = vlmCases({ video: false, quick: false });
    expect(full.map((c) => c.name)).toEqual(["224x224", "336x336", "448x448", "512x512", "672x672", "768x768", "896x896",
      "1024x1024", "1280x720", "1920x1080"]);
    expect(vlmCases({ video: false, quick: true }).map((c) => c.name)).toEqual(["224x224", "448x448", "768x768", "1024x1024"]);
    const video = vlmCases({ video: true, quick: false });
    expect(video.map((c) => (c.kind === "video" ? c.frames : 0))).toEqual([2, 4, 6, 8, 12, 16, 24, 32]);
    expect(video[0]!.name).toBe("2 frames @ 0.5fps");
    expect(vlmCases({ video: true, quick: true }).map((c) => c.name)).toEqual(["4 frames @ 1fps", "8 frames @ 2fps", "16 frames @ 2fps"]);
  });

  test("synthetic media: sizes, determinism, frames that differ", () => {
    const a = syntheticImage(33, 17, 2);
    expect([a.width, a.height, a.data.length]).toEqual([33, 17, 33 * 17 * 3]);
    expect(syntheticImage(33, 17, 2).data).toEqual(a.data);
    expect(syntheticImage(33, 17, 3).data).not.toEqual(a.data);
    expect(() => syntheticImage(0, 4)).toThrow(RangeError);
    const media = caseMedia(vlmCases({ video: true, quick: true })[1]!);
    expect(media.kind).toBe("video");
    if (media.kind !== "video") return;
    expect(media.frames.length).toBe(8);
    expect([media.frames[0]!.width, media.frames[0]!.height]).toEqual([640, 480]);
    expect(media.frames[0]!.data).not.toEqual(media.frames[1]!.data);
  });

  test("runCases: warm-up on the first case, every case once in order, errors recorded and the run goes on", () => {
    const calls: { kind: string; size: string; maxTokens: number; question: string }[] = [];
    const run = (media: BenchMedia, opts: { maxTokens: number; question: string }) => {
      const img = media.kind === "image" ? media.image : media.frames[0]!;
      calls.push({ kind: media.kind, size: `${img.width}x${img.height}`, ...opts });
      if (img.width === 768) throw new Error("no memory");
      return T;
    };
    const seen: number[] = [];
    const results = runCases(run, { cases: vlmCases({ video: false, quick: true }), maxTokens: 64, warmup: 2, onCase: (_, i) => seen.push(i) });
    expect(calls.map((c) => `${c.size}/${c.maxTokens}`)).toEqual(["224x224/8", "224x224/8", "224x224/64", "448x448/64", "768x768/64", "1024x1024/64"]);
    expect(calls.every((c) => c.question === IMAGE_QUESTION)).toBe(true);
    expect(results.map((r) => r.error ?? "ok")).toEqual(["ok", "ok", "no memory", "ok"]);
    expect(seen).toEqual([0, 1, 2, 3]);
    const video: string[] = [];
    runCases((_, o) => (video.push(o.question), T), { cases: vlmCases({ video: true, quick: true }), maxTokens: 4, warmup: 0 });
    expect(video).toEqual([VIDEO_QUESTION, VIDEO_QUESTION, VIDEO_QUESTION]);
  });
});
