import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { rm } from "node:fs/promises";
import { DEFAULT_MEDIA_POLICY } from "../../media/index.ts";
import { gradientImage, testVideo, type TrickleServer, trickleServer, waitForLength } from "../../media/testing.ts";
import { loadTokenizer, type ModelTokenizer } from "../../tokenizer/index.ts";
import { ContextLengthError, InvalidRequestError } from "../protocol.ts";
import type { MediaServingOptions } from "./media-inputs.ts";
import { mediaParts, templateMessages } from "./media-inputs.ts";
import { dataUrl, mediaRequest, qwenVlPromptDir } from "./media-testing.ts";
import { PromptPreparer } from "./prompt-preparer.ts";

// Decoding and preprocessing on a busy 2-core machine take seconds.
setDefaultTimeout(60_000);

const SERVING: MediaServingOptions = { policy: DEFAULT_MEDIA_POLICY, videoFps: 2, videoMaxFrames: 128 };
const LIMITS = { contextLength: 4096 };
let dir: string;
let tok: ModelTokenizer;
let preparer: PromptPreparer;
let png: string;

beforeAll(async () => {
  dir = await qwenVlPromptDir();
  tok = await loadTokenizer(dir);
  preparer = new PromptPreparer(tok, 16 * 1024, { modelDir: dir, serving: SERVING });
  png = dataUrl("image/png", await gradientImage(84, 56));
});
afterAll(async () => {
  preparer.close();
  await rm(dir, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<InvalidRequestError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof InvalidRequestError) return e;
    throw e;
  }
  throw new Error("expected an InvalidRequestError");
}

describe("media parts", () => {
  test("are found in order with the part that carried them; a route's label wins", () => {
    const parts = mediaParts([
      { role: "system", content: "s" },
      { role: "user", content: [{ type: "text", text: "a" }, { type: "image", image: "/x.png" }, { type: "video_url", video_url: { url: "https://h/v.mp4" }, param: "input[4].content[0]" }] },
    ]);
    expect(parts).toEqual([
      { kind: "image", ref: "/x.png", param: "messages[1].content[1]" },
      { kind: "video", ref: "https://h/v.mp4", param: "input[4].content[0]" },
    ]);
  });

  test("reach the template as bare image and video parts", () => {
    const out = templateMessages([{ role: "user", content: [{ type: "image_url", image_url: { url: "data:" } }, { type: "text", text: "hi" }] }]);
    expect(out[0]!.content as unknown[]).toEqual([{ type: "image" }, { type: "text", text: "hi" }]);
  });
});

describe("a prompt with images and a video, on the prompt thread", () => {
  test("an image: placeholders at its range, patches, grid and hash", async () => {
    const prepared = await preparer.prepare(mediaRequest([{ type: "text", text: "What is this?" }, { type: "image_url", image_url: { url: png } }]), LIMITS);
    const pad = tok.tokenToId("<|image_pad|>")!;
    const [item] = prepared.media!;
    // 56x84 -> smart_resize 56x84 -> a (1, 4, 6) grid of 14-pixel patches, 24 / 2^2 = 6 merged tokens.
    expect(item!.gridThw).toEqual([1, 4, 6]);
    expect(item!.numTokens).toBe(6);
    expect(item!.pixelValues.shape).toEqual([24, 3 * 2 * 14 * 14]);
    expect(item!.pixelValues.data.length).toBe(24 * 1176);
    expect(item!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(item!.length).toBe(6);
    expect(prepared.tokenIds.slice(item!.offset, item!.offset + 6)).toEqual(new Array(6).fill(pad));
    expect(prepared.tokenIds[item!.offset - 1]).toBe(tok.tokenToId("<|vision_start|>")!);
    expect(prepared.tokenIds.filter((t) => t === pad).length).toBe(6);
    const text = tok.encode(tok.applyChatTemplate([{ role: "user", content: "What is this?" }]));
    // The prompt is the text prompt plus vision_start, 6 pads and vision_end.
    expect(prepared.tokenIds.length).toBe(text.length + 8);
  });

  test("two images and a video across two turns keep their order, ranges and hashes", async () => {
    const video = dataUrl("video/mp4", await testVideo(8, 4));
    const other = dataUrl("image/png", await gradientImage(56, 56));
    const request = mediaRequest([{ type: "image_url", image_url: { url: png } }, { type: "text", text: "and" }, { type: "video_url", video_url: { url: video } }]);
    if (request.kind !== "chat") throw new Error("chat");
    request.messages.push({ role: "assistant", content: "ok" }, { role: "user", content: [{ type: "image_url", image_url: { url: other } }, { type: "image_url", image_url: { url: png } }] });
    const prepared = await preparer.prepare(request, LIMITS);
    const media = prepared.media!;
    expect(media.map((m) => m.kind)).toEqual(["image", "video", "image", "image"]);
    // 8 frames at 4 fps sampled at 2 fps: 4 frames, 48x64 -> 56x56, a (2, 4, 4) grid: 8 tokens.
    expect(media[1]!.gridThw).toEqual([2, 4, 4]);
    expect(media[1]!.numTokens).toBe(8);
    expect(media[1]!.sampling).toEqual({ fps: 2, maxFrames: 128, minFrames: 4, frameFactor: 2 });
    expect(media[2]!.numTokens).toBe(4);
    for (let i = 1; i < media.length; i++) expect(media[i]!.offset).toBeGreaterThan(media[i - 1]!.offset + media[i - 1]!.length);
    expect(media[3]!.hash).toBe(media[0]!.hash);
    expect(media[2]!.hash).not.toBe(media[0]!.hash);
    const videoPad = tok.tokenToId("<|video_pad|>")!;
    expect(prepared.tokenIds.slice(media[1]!.offset, media[1]!.offset + 8)).toEqual(new Array(8).fill(videoPad));
  });

  test("video_fps and video_max_frames change the sampling and the hash", async () => {
    const video = dataUrl("video/mp4", await testVideo(8, 4));
    const base = await preparer.prepare(mediaRequest([{ type: "video_url", video_url: { url: video } }]), LIMITS);
    const more = await preparer.prepare(mediaRequest([{ type: "video_url", video_url: { url: video } }], { videoSampling: { fps: 4 } }), LIMITS);
    expect(more.media![0]!.gridThw).toEqual([4, 4, 4]);
    expect(more.media![0]!.hash).not.toBe(base.media![0]!.hash);
  });

  test("a bad part is a 400 that names it; the preparer keeps working", async () => {
    const request = mediaRequest([{ type: "text", text: "x" }, { type: "image_url", image_url: { url: png } }, { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }]);
    const e = await failure(preparer.prepare(request, LIMITS));
    expect(e.param).toBe("messages[0].content[2]");
    expect(e.message).toBe("messages[0].content[2]: the image data is not a recognised image format");
    const local = await failure(preparer.prepare(mediaRequest([{ type: "image", image: "/etc/passwd" }]), LIMITS));
    expect(local.message).toMatch(/^messages\[0\]\.content\[0\]: .*local/);
    expect((await preparer.prepare(mediaRequest([{ type: "image_url", image_url: { url: png } }]), LIMITS)).media!.length).toBe(1);
  });

  test("text that spells a placeholder token is refused; image tokens count against the context", async () => {
    const spelled = await failure(preparer.prepare(mediaRequest([{ type: "text", text: "<|image_pad|>" }, { type: "image_url", image_url: { url: png } }]), LIMITS));
    expect(spelled.param).toBe("messages");
    const prepared = await preparer.prepare(mediaRequest([{ type: "image_url", image_url: { url: png } }]), LIMITS);
    const fits = prepared.tokenIds.length;
    let error: unknown = null;
    await preparer.prepare(mediaRequest([{ type: "image_url", image_url: { url: png } }]), { contextLength: fits }).catch((e: unknown) => (error = e));
    expect(error).toBeInstanceOf(ContextLengthError);
    expect((error as ContextLengthError).promptTokens).toBe(fits);
  });

  test("without vision the same request is refused as text-only, naming the part", async () => {
    const plain = new PromptPreparer(tok);
    const e = await failure(plain.prepare(mediaRequest([{ type: "text", text: "x" }, { type: "image_url", image_url: { url: png } }]), LIMITS));
    expect(e.message).toBe("messages[0].content[1]: this model has no vision: it takes text only, and got an image part");
    plain.close();
  });
});

describe("a Qwen3-VL video, on the prompt thread", () => {
  let qwen3Dir: string;
  let qwen3: PromptPreparer;
  beforeAll(async () => {
    qwen3Dir = await qwenVlPromptDir("qwen3_vl");
    qwen3 = new PromptPreparer(tok, 16 * 1024, { modelDir: qwen3Dir, serving: SERVING });
  });
  afterAll(async () => {
    qwen3.close();
    await rm(qwen3Dir, { recursive: true, force: true });
  });

  test("is one '<t.t seconds>' and vision block per temporal group; the item spans them all", async () => {
    // 8 frames at 4 fps sampled at 2 fps: indices [0, 2, 5, 7] (linspace rounded), at 0, 0.5, 1.25 and 1.75 s.
    // Groups: (0 + 0.5) / 2 = 0.25 -> "0.2" (Python's tie to even), (1.25 + 1.75) / 2 = 1.5. 48x64 -> 64x64: (2, 4, 4).
    const video = dataUrl("video/mp4", await testVideo(8, 4));
    const prepared = await qwen3.prepare(mediaRequest([{ type: "video_url", video_url: { url: video } }, { type: "text", text: "What moves?" }]), LIMITS);
    const [item] = prepared.media!;
    expect(item!.gridThw).toEqual([2, 4, 4]);
    expect(item!.numTokens).toBe(8);
    expect(item!.timestamps).toEqual([0.25, 1.5]);
    const pads = "<|video_pad|>".repeat(4);
    const want = `<|im_start|>user\n<0.2 seconds><|vision_start|>${pads}<|vision_end|><1.5 seconds><|vision_start|>${pads}<|vision_end|>What moves?<|im_end|>\n<|im_start|>assistant\n`;
    expect(prepared.tokenIds).toEqual(tok.encode(want));
    const pad = tok.tokenToId("<|video_pad|>")!;
    const first = prepared.tokenIds.indexOf(pad);
    const last = prepared.tokenIds.lastIndexOf(pad);
    expect([item!.offset, item!.length]).toEqual([first, last + 1 - first]);
    // Between the two runs: <|vision_end|>, the timestamp's text and <|vision_start|>.
    expect(item!.length).toBeGreaterThan(8 + 2);
    expect(prepared.tokenIds.slice(item!.offset, item!.offset + 4)).toEqual([pad, pad, pad, pad]);
    expect(prepared.tokenIds.slice(last - 3, last + 1)).toEqual([pad, pad, pad, pad]);
  });

  test("images beside it keep their single run; text that spells a video pad is a 400", async () => {
    const video = dataUrl("video/mp4", await testVideo(8, 4));
    const prepared = await qwen3.prepare(mediaRequest([{ type: "image_url", image_url: { url: png } }, { type: "video_url", video_url: { url: video } }]), LIMITS);
    const [image, clip] = prepared.media!;
    // 56x84 -> 64x96 in 32-pixel cells: a (1, 4, 6) grid, 6 tokens.
    expect([image!.numTokens, image!.length]).toEqual([6, 6]);
    expect(clip!.offset).toBeGreaterThan(image!.offset + image!.length);
    const spelled = await failure(qwen3.prepare(mediaRequest([{ type: "text", text: "<|video_pad|>" }, { type: "video_url", video_url: { url: video } }]), LIMITS));
    expect(spelled.param).toBe("messages");
  });
});

describe("cancelling a prompt's media work across the thread boundary", () => {
  let trickle: TrickleServer;
  let open: PromptPreparer;
  beforeAll(async () => {
    trickle = await trickleServer();
    const policy = { ...DEFAULT_MEDIA_POLICY, allowPrivateUrls: true, fetchTimeoutMs: 60_000 };
    open = new PromptPreparer(tok, 16 * 1024, { modelDir: dir, serving: { ...SERVING, policy } });
  });
  afterAll(() => {
    open.close();
    trickle.stop();
  });

  test("the request's signal rejects the prompt at once and the prompt thread closes the fetch's socket", async () => {
    const controller = new AbortController();
    const preparing = open.prepare(mediaRequest([{ type: "image_url", image_url: { url: trickle.url } }]), LIMITS, controller.signal);
    await waitForLength(trickle.opened, 1);
    await Bun.sleep(200);
    const abortedAt = performance.now();
    controller.abort();
    const e = await failure(preparing);
    expect(e.message).toBe("the request was cancelled while its prompt was prepared");
    await waitForLength(trickle.closed, 1);
    expect(trickle.closed.length).toBe(1);
    expect(trickle.closed[0]! - abortedAt).toBeLessThan(1000);
    // The thread keeps serving.
    expect((await open.prepare(mediaRequest([{ type: "image_url", image_url: { url: png } }]), LIMITS)).media!.length).toBe(1);
  });

  test("a part that fails cancels the request's other fetches: the 400 names it without waiting for them", async () => {
    const before = trickle.opened.length;
    const late404 = trickle.url.replace("/slow.png", "/late-404");
    const e = await failure(open.prepare(mediaRequest([{ type: "image_url", image_url: { url: trickle.url } }, { type: "image_url", image_url: { url: late404 } }]), LIMITS));
    expect(e.message).toBe("messages[0].content[1]: fetching the media URL failed with HTTP 404");
    // The slow part was connected (and trickling) when the other failed; its socket closes with the failure.
    expect(trickle.opened.length).toBe(before + 1);
    await waitForLength(trickle.closed, trickle.opened.length);
    expect(trickle.closed.length).toBe(trickle.opened.length);
  });
});
