/**
 * Images and videos through the three chat APIs, in process: the real media path (fetch, decode, preprocess on
 * the prompt thread, placeholders) under a {@link PreparingEngine} over a Qwen2.5-VL processor folder. Bad media
 * each get a 400 in the API's error shape that names the part, and the server stays healthy.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { dataUrl, qwenVlPromptDir } from "../../engine/frontend/media-testing.ts";
import type { MediaServingOptions } from "../../engine/frontend/media-inputs.ts";
import { DEFAULT_MEDIA_POLICY } from "../../media/index.ts";
import { gradientImage, pngHeaderOnly, testVideo } from "../../media/testing.ts";
import { loadTokenizer, type ModelTokenizer } from "../../tokenizer/index.ts";
import { post, request, testApp } from "../testing/helpers.ts";
import { PreparingEngine } from "../testing/preparing-engine.ts";

// Decoding, ffmpeg and preprocessing on a busy 2-core machine take seconds.
setDefaultTimeout(60_000);

let dir: string;
let allowed: string;
let tok: ModelTokenizer;
let png: Uint8Array;
let silent: ReturnType<typeof Bun.serve>;
const engines: PreparingEngine[] = [];

function vlmApp(policy: Partial<MediaServingOptions["policy"]> = {}) {
  const serving: MediaServingOptions = { policy: { ...DEFAULT_MEDIA_POLICY, allowedLocalPath: allowed, fetchTimeoutMs: 500, ...policy }, videoFps: 2, videoMaxFrames: 128 };
  const engine = new PreparingEngine(tok, { modelDir: dir, serving });
  engines.push(engine);
  return { app: testApp(engine).app, engine };
}

const chat = (parts: unknown[]) => ({ model: "test-model", max_tokens: 4, messages: [{ role: "user", content: [{ type: "text", text: "What is it?" }, ...parts] }] });
const image = (url: string) => ({ type: "image_url", image_url: { url } });

beforeAll(async () => {
  dir = await qwenVlPromptDir();
  allowed = join(dir, "media");
  await mkdir(allowed);
  tok = await loadTokenizer(dir);
  png = await gradientImage(84, 56);
  await writeFile(join(allowed, "empty.png"), new Uint8Array());
  await writeFile(join(allowed, "ok.png"), png);
  await writeFile(join(dir, "outside.png"), png);
  // A server that accepts connections and never answers.
  silent = Bun.serve({ port: 0, fetch: () => new Promise<Response>(() => undefined) });
});
afterAll(async () => {
  for (const e of engines) e.close();
  silent.stop(true);
  await rm(dir, { recursive: true, force: true });
});

describe("chat completions with media", () => {
  test("an image by data URL and by local path: 200, prompt_tokens count the image tokens", async () => {
    const { app, engine } = vlmApp();
    const text = tok.encode(tok.applyChatTemplate([{ role: "user", content: "What is it?" }]));
    for (const part of [image(dataUrl("image/png", png)), { type: "image", image: join(allowed, "ok.png") }]) {
      const res = await post(app, "/v1/chat/completions", chat([part]));
      expect(res.status).toBe(200);
      // vision_start + 6 image tokens (56x84 -> a 4x6 patch grid, 2x2 merged) + vision_end.
      expect((await res.json()).usage.prompt_tokens).toBe(text.length + 8);
    }
    const [first, second] = [...engine.prepared.values()];
    expect(first!.media![0]!.hash).toBe(second!.media![0]!.hash);
  });

  test("bad media: a 400 in OpenAI's shape naming the part, then a normal request succeeds", async () => {
    const { app, engine } = vlmApp({ allowPrivateUrls: true });
    const mp4 = await testVideo(6, 4);
    const cases: [unknown, RegExp][] = [
      [image(dataUrl("image/png", png.slice(0, 60))), /corrupt|truncated/],
      [{ type: "image", image: join(allowed, "empty.png") }, /the image file is empty/],
      [image(dataUrl("image/png", pngHeaderOnly(10000, 10000))), /10000x10000 \(100\.0 megapixels\), over the 64\.0-megapixel limit/],
      [{ type: "video_url", video_url: { url: dataUrl("video/mp4", await testVideo(0, 0)) } }, /no video stream|no frames/],
      [image(`http://127.0.0.1:${silent.port}/slow.png`), /took longer than 0\.5 s/],
      [{ type: "image", image: join(dir, "outside.png") }, /outside the folder allowed by --allowed-local-media-path/],
      [image(dataUrl("image/png", mp4)), /unsupported media type video\/mp4 for an image part/],
    ];
    for (const [part, why] of cases) {
      const res = await post(app, "/v1/chat/completions", chat([part]));
      expect(res.status).toBe(400);
      const { error } = await res.json();
      expect(error).toMatchObject({ type: "invalid_request_error", param: "messages[0].content[1]", code: "invalid_value" });
      expect(error.message).toStartWith("messages[0].content[1]: ");
      expect(error.message).toMatch(why);
    }
    expect(engine.requests.length).toBe(0);
    expect(engine.running).toBe(0);
    const ok = await post(app, "/v1/chat/completions", chat([image(dataUrl("image/png", png))]));
    expect(ok.status).toBe(200);
    expect((await ok.json()).choices[0].message.content).toBe("ok");
  });

  test("a private address is refused without --allow-private-media-urls", async () => {
    const { app } = vlmApp();
    const res = await post(app, "/v1/chat/completions", chat([image(`http://127.0.0.1:${silent.port}/a.png`)]));
    expect(res.status).toBe(400);
    const { error } = await res.json();
    expect(error.message).toMatch(/^messages\[0\]\.content\[1\]: .*private, loopback or link-local address/);
    expect((await post(app, "/v1/chat/completions", chat([image(dataUrl("image/png", png))]))).status).toBe(200);
  });

  test("/v1/models shows vision and video for a Qwen-VL model", async () => {
    const res = await request(vlmApp().app, "/v1/models");
    expect((await res.json()).data[0].capabilities).toMatchObject({ chat: true, vision: true, video: true });
  });

  test("a text-only model shows no vision and refuses a media part by name", async () => {
    const engine = new PreparingEngine(tok);
    engines.push(engine);
    const caps = (await (await request(testApp(engine).app, "/v1/models")).json()).data[0].capabilities;
    expect([caps.vision, caps.video]).toEqual([false, false]);
    const res = await post(testApp(engine).app, "/v1/chat/completions", chat([image(dataUrl("image/png", png))]));
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ param: "messages[0].content[1]", message: "messages[0].content[1]: this model has no vision: it takes text only, and got an image part" });
  });
});

describe("Messages and Responses images", () => {
  const b64 = () => Buffer.from(png).toString("base64");

  test("Anthropic image blocks (base64 and url) take the media path; a bad one is an Anthropic 400 naming the block", async () => {
    const { app, engine } = vlmApp({ allowPrivateUrls: true });
    const body = (blocks: unknown[]) => ({ model: "test-model", max_tokens: 4, system: "Be brief.", messages: [{ role: "user", content: "Hi" }, { role: "assistant", content: "Hello" }, { role: "user", content: [{ type: "text", text: "What is it?" }, ...blocks] }] });
    const ok = await post(app, "/v1/messages", body([{ type: "image", source: { type: "base64", media_type: "image/png", data: b64() } }]));
    expect(ok.status).toBe(200);
    const okBody = await ok.json();
    expect(okBody.content[0].text).toBe("ok");
    const prepared = [...engine.prepared.values()][0]!;
    expect(okBody.usage.input_tokens).toBe(prepared.tokenIds.length);
    expect(prepared.media!.map((m) => m.numTokens)).toEqual([6]);
    const bad = await post(app, "/v1/messages", body([{ type: "image", source: { type: "base64", media_type: "image/png", data: b64() } }, { type: "image", source: { type: "url", url: `http://127.0.0.1:${silent.port}/x.png` } }]));
    expect(bad.status).toBe(400);
    const error = await bad.json();
    expect(error).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(error.error.message).toMatch(/^messages\[2\]\.content\[2\]: fetching the media URL took longer/);
    const source = await post(app, "/v1/messages", body([{ type: "image", source: { type: "file", file_id: "f" } }]));
    expect((await source.json()).error.message).toContain("messages[2].content[1].source: image source type 'file' is not supported");
  });

  test("Responses input_image (data URL) takes the media path; a bad one is a 400 naming input[i].content[j]", async () => {
    const { app, engine } = vlmApp();
    const input = (part: unknown) => [{ role: "user", content: [{ type: "input_text", text: "What is it?" }, part] }];
    const ok = await post(app, "/v1/responses", { model: "test-model", instructions: "Be brief.", input: input({ type: "input_image", image_url: dataUrl("image/png", png) }) });
    expect(ok.status).toBe(200);
    expect((await ok.json()).usage.input_tokens).toBe([...engine.prepared.values()][0]!.tokenIds.length);
    const bad = await post(app, "/v1/responses", { model: "test-model", instructions: "Be brief.", input: input({ type: "input_image", image_url: dataUrl("image/png", new Uint8Array()) }) });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ param: "input[0].content[1]", message: "input[0].content[1]: the image file is empty" });
    const file = await post(app, "/v1/responses", { model: "test-model", input: input({ type: "input_image", file_id: "file-1" }) });
    expect((await file.json()).error.message).toBe("input[0].content[1]: file_id images are not supported; send image_url");
  });
});
