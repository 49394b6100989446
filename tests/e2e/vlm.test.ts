/**
 * A VLM end to end: the compiled binary serves a tiny random-weight Qwen2.5-VL folder from an empty directory,
 * and the official Python `openai` client sends an image by URL (a local HTTP server, hence
 * --allow-private-media-urls), by base64 and by local path (--allowed-local-media-path), a video by base64,
 * and two images in one message. Each answers 200 with `usage.prompt_tokens` counting the image tokens, as
 * Qwen's processor counts them: smart_resize to multiples of 28 (patch 14 x merge 2) within the fixture's
 * [4·28², 64·28²] pixels, then (h/14)·(w/14)/4 tokens (video: times ⌈frames/2⌉). The prefix cache's counters
 * on /metrics show the repeated image hit. A tiny Qwen3-VL folder answers the same video with the prompt mlx-vlm
 * 0.7.10 builds: one `<t.t seconds>` and vision block per temporal group, counted exactly in `prompt_tokens`.
 * A client that disconnects while its image trickles in has the server's download closed at once.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { writeQwenVlFixture } from "../../scripts/fixtures/vlm-qwen.ts";
import { trickleServer, waitForLength } from "../../src/media/testing.ts";
import { ensureVenv, OPENAI_PY, PYTHON, run } from "./python/venv.ts";
import { type RunningServer, startServer } from "./scripted-harness.ts";

/** A height x width RGB PNG of a deterministic pattern. */
async function png(path: string, height: number, width: number, salt: number): Promise<void> {
  const data = Buffer.alloc(height * width * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + salt * 101 + ((i / 3) | 0) * 7) % 256;
  await sharp(data, { raw: { width, height, channels: 3 } }).png().toFile(path);
}

/** Qwen2.5-VL's token count of an image (or video of `frames` frames) whose sides are already multiples of 28 in range. */
function qwenTokens(height: number, width: number, frames = 1): number {
  const t = frames === 1 ? 1 : Math.ceil(frames / 2);
  return (t * (height / 14) * (width / 14)) / 4;
}

const scratch = mkdtempSync(join(os.tmpdir(), "vlm-e2e-"));
const [modelDir, mediaDir, qwen3Dir] = [join(scratch, "model"), join(scratch, "media"), join(scratch, "qwen3")];
let server: RunningServer;
let qwen3: RunningServer;
let images: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  mkdirSync(modelDir);
  mkdirSync(mediaDir);
  mkdirSync(qwen3Dir);
  writeQwenVlFixture("qwen2_5_vl", modelDir, { seed: 5 });
  writeQwenVlFixture("qwen3_vl", qwen3Dir, { seed: 6 });
  await png(join(mediaDir, "small.png"), 56, 84, 1); // 6 tokens
  await png(join(scratch, "served.png"), 112, 112, 2); // 16 tokens
  // 2 s at 4 fps, 56x56: sampled at 2 fps -> 4 frames -> 2 temporal patches of 4x4 patches -> 8 tokens.
  const ff = await run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=56x56:rate=4", "-t", "2", "-c:v", "mpeg4",
    "-pix_fmt", "yuv420p", join(mediaDir, "clip.mp4")]);
  if (ff.code !== 0) throw new Error(`ffmpeg failed: ${ff.stderr}`);
  const served = await Bun.file(join(scratch, "served.png")).arrayBuffer();
  images = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(served, { headers: { "content-type": "image/png" } }) });
  [server, qwen3] = await Promise.all([
    startServer(modelDir, "tiny-vl", ["--allow-private-media-urls", "--allowed-local-media-path", mediaDir]),
    startServer(qwen3Dir, "tiny-qwen3-vl", []),
    ensureVenv(),
  ]);
}, 240_000);

afterAll(async () => {
  await server?.stop();
  await qwen3?.stop();
  images?.stop(true);
  rmSync(scratch, { recursive: true, force: true });
});

interface Case {
  prompt_tokens: number;
  cached_tokens: number | null;
  completion_tokens: number;
  finish_reason: string;
  content: string | null;
}

describe("a Qwen2.5-VL folder served by the binary", () => {
  test(`openai==${OPENAI_PY}: image by URL, base64 and path, a video by base64, two images; prompt_tokens count the image tokens`, async () => {
    const url = `http://127.0.0.1:${images.port}/cat.png`;
    const r = await run([PYTHON, join(import.meta.dir, "python", "vlm.py"), `${server.base}/v1`, "tiny-vl", url,
      join(mediaDir, "small.png"), join(mediaDir, "clip.mp4")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, Case>;
    const base = out.text!.prompt_tokens;
    const wrap = 2; // <|vision_start|> and <|vision_end|> around each item's pads
    const small = qwenTokens(56, 84);
    const served = qwenTokens(112, 112);
    expect([small, served, qwenTokens(56, 56, 4)]).toEqual([6, 16, 8]);
    expect(out.url!.prompt_tokens).toBe(base + wrap + served);
    expect(out.base64!.prompt_tokens).toBe(base + wrap + small);
    expect(out.path!.prompt_tokens).toBe(base + wrap + small);
    expect(out.video!.prompt_tokens).toBe(base + wrap + qwenTokens(56, 56, 4));
    expect(out.two_images!.prompt_tokens).toBe(base + 2 * wrap + served + small);
    for (const c of Object.values(out).filter((v): v is Case => typeof v === "object")) {
      expect(c.completion_tokens).toBeGreaterThan(0);
      expect(["stop", "length"]).toContain(c.finish_reason);
    }
    // The same picture again (base64, then by path: same decoded content) reuses the full blocks of its prompt.
    const fullBlocks = Math.floor((base + wrap + small) / 16) * 16;
    expect(out.base64!.cached_tokens).toBe(0);
    expect(out.base64_again!.cached_tokens).toBe(fullBlocks);
    expect(out.path!.cached_tokens).toBe(fullBlocks);
    const metrics = await (await fetch(`${server.base}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^vllm_mlx_${name} (\\S+)$`, "m").exec(metrics)?.[1] ?? NaN);
    expect(value("prefix_cache_mm_hits_total")).toBeGreaterThanOrEqual(2);
    expect(value("prefix_cache_hit_tokens_total")).toBeGreaterThanOrEqual(2 * fullBlocks);
  }, 180_000);
});

describe("a client that disconnects while its image downloads", () => {
  test("closes the server's fetch of the image at once, and the server keeps serving", async () => {
    const trickle = await trickleServer();
    try {
      const controller = new AbortController();
      const body = { model: "tiny-vl", max_tokens: 4, messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: trickle.url } }] }] };
      const post = (json: unknown, signal?: AbortSignal) =>
        fetch(`${server.base}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(json), ...(signal ? { signal } : {}) });
      const request = post(body, controller.signal).catch((e: unknown) => e);
      await waitForLength(trickle.opened, 1);
      expect(trickle.opened.length).toBe(1);
      await Bun.sleep(300);
      const abortedAt = performance.now();
      controller.abort();
      expect(await request).toBeInstanceOf(Error);
      await waitForLength(trickle.closed, 1);
      expect(trickle.closed.length).toBe(1);
      expect(trickle.closed[0]! - abortedAt).toBeLessThan(2000);
      expect((await fetch(`${server.base}/health`)).status).toBe(200);
      const small = `data:image/png;base64,${Buffer.from(await Bun.file(join(mediaDir, "small.png")).arrayBuffer()).toString("base64")}`;
      const ok = await post({ ...body, messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: small } }] }] });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens).toBeGreaterThan(qwenTokens(56, 84));
    } finally {
      trickle.stop();
    }
  }, 60_000);
});

describe("a Qwen3-VL folder served by the binary", () => {
  test(`openai==${OPENAI_PY}: a video by base64 is one timestamped block per temporal group, counted exactly`, async () => {
    const r = await run([PYTHON, join(import.meta.dir, "python", "vlm.py"), "--video", `${qwen3.base}/v1`, "tiny-qwen3-vl", join(mediaDir, "clip.mp4")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, Case>;
    // 8 frames at 4 fps sampled at 2 fps: indices [0, 2, 5, 7], at 0, 0.5, 1.25 and 1.75 s; 56x56 -> 64x64 (patch 16,
    // merge 2): a (2, 4, 4) grid, 4 tokens per group. Groups at 0.25 -> "<0.2 seconds>" (Python's tie to even) and
    // 1.5 -> "<1.5 seconds>", 6 Qwen tokens each (< 0 . 2 ␣seconds >), then <|vision_start|>, 4 pads, <|vision_end|>.
    const group = 6 + 1 + 4 + 1;
    expect(out.video!.prompt_tokens).toBe(out.text!.prompt_tokens + 2 * group);
    expect(out.video!.completion_tokens).toBeGreaterThan(0);
    // The same video again: its prompt's full blocks come from the prefix cache.
    expect(out.video_again!.prompt_tokens).toBe(out.video!.prompt_tokens);
    expect(out.video_again!.cached_tokens).toBe(Math.floor((out.video!.prompt_tokens - 1) / 16) * 16);
    expect(out.video_again!.content).toBe(out.video!.content);
  }, 120_000);
});
