import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_MEDIA_POLICY, loadMedia, MediaError, type MediaPolicy } from "./index.ts";
import { gradientImage, pngHeaderOnly, testVideo } from "./testing.ts";

const SAMPLING = { fps: 2, minFrames: 4, maxFrames: 768, frameFactor: 2 };
let dir: string;
let allowed: string;
let policy: MediaPolicy;

function dataUrl(mime: string, bytes: Uint8Array): string {
  return `data:${mime};base64,${Buffer.from(bytes).toString("base64")}`;
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(MediaError);
    return (e as Error).message;
  }
  throw new Error("expected a MediaError");
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "media-test-"));
  allowed = join(dir, "allowed");
  await mkdir(allowed);
  await writeFile(join(allowed, "ok.png"), await gradientImage(20, 10));
  await writeFile(join(dir, "secret.png"), await gradientImage(8, 8));
  await symlink(join(dir, "secret.png"), join(allowed, "escape.png"));
  await writeFile(join(allowed, "empty.png"), new Uint8Array());
  await writeFile(join(allowed, "..dots.png"), await gradientImage(4, 4));
  await symlink(dir, join(allowed, "up"));
  policy = { ...DEFAULT_MEDIA_POLICY, allowedLocalPath: allowed };
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("images", () => {
  test("a PNG data URL decodes to RGB and an RGBA image drops its alpha", async () => {
    const item = await loadMedia({ kind: "image", ref: dataUrl("image/png", await gradientImage(5, 3, "png", 4)) }, policy);
    if (item.kind !== "image") throw new Error("not an image");
    expect([item.image.width, item.image.height, item.image.data.length]).toEqual([5, 3, 45]);
    expect([...item.image.data.subarray(0, 2)]).toEqual([0, 0]);
    expect(item.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  test("the same pixels give the same hash; other pixels another", async () => {
    const a = await loadMedia({ kind: "image", ref: dataUrl("image/png", await gradientImage(6, 6)) }, policy);
    const b = await loadMedia({ kind: "image", ref: dataUrl("image/png", await gradientImage(6, 6)) }, policy);
    const c = await loadMedia({ kind: "image", ref: dataUrl("image/png", await gradientImage(6, 7)) }, policy);
    expect(a.contentHash).toBe(b.contentHash);
    expect(a.contentHash).not.toBe(c.contentHash);
  });

  test("a corrupt image, a zero-byte file and an unsupported type are refused", async () => {
    const png = await gradientImage(30, 30);
    const corrupt = png.slice(0, 60);
    expect(await failure(loadMedia({ kind: "image", ref: dataUrl("image/png", corrupt) }, policy))).toMatch(/corrupt|truncated/);
    expect(await failure(loadMedia({ kind: "image", ref: join(allowed, "empty.png") }, policy))).toBe("the image file is empty");
    expect(await failure(loadMedia({ kind: "image", ref: "data:image/png;base64," }, policy))).toBe("the image file is empty");
    const pdf = new TextEncoder().encode("%PDF-1.7\n%....");
    expect(await failure(loadMedia({ kind: "image", ref: dataUrl("image/png", pdf) }, policy))).toMatch(/not a recognised image format/);
    expect(await failure(loadMedia({ kind: "image", ref: dataUrl("application/pdf", pdf) }, policy))).toBe("a data URL for an image must declare an image/ type (got 'application/pdf')");
    expect(await failure(loadMedia({ kind: "video", ref: dataUrl("image/png", png), sampling: SAMPLING }, policy))).toBe("a data URL for a video must declare a video/ type (got 'image/png')");
    const avif = new TextEncoder().encode("\0\0\0\x18ftypavif\0\0\0\0mif1");
    expect(await failure(loadMedia({ kind: "image", ref: dataUrl("image/avif", avif) }, policy))).toBe("unsupported media type image/avif for an image part");
  });

  test("a 100-megapixel image is refused from its header", async () => {
    const started = performance.now();
    const message = await failure(loadMedia({ kind: "image", ref: dataUrl("image/png", pngHeaderOnly(10_000, 10_000)) }, policy));
    expect(message).toBe("the image is 10000x10000 (100.0 megapixels), over the 64.0-megapixel limit");
    expect(performance.now() - started).toBeLessThan(2000);
  });

  test("under a limit below 0.1 megapixels, images and video frames are measured in pixels", async () => {
    const small = { ...policy, maxImagePixels: 1000 };
    expect(await failure(loadMedia({ kind: "image", ref: dataUrl("image/png", await gradientImage(64, 64)) }, small)))
      .toBe("the image is 64x64 (4096 pixels), over the 1000-pixel limit");
    const mp4 = await testVideo(4, 10, 64, 48);
    expect(await failure(loadMedia({ kind: "video", ref: dataUrl("video/mp4", mp4), sampling: SAMPLING }, small)))
      .toBe("the video is 64x48 (3072 pixels), over the 1000-pixel limit");
  });
});

describe("local paths", () => {
  test("a file under the allowed folder loads", async () => {
    const item = await loadMedia({ kind: "image", ref: join(allowed, "ok.png") }, policy);
    expect(item.kind === "image" && [item.image.width, item.image.height]).toEqual([20, 10]);
    const viaUrl = await loadMedia({ kind: "image", ref: `file://${join(allowed, "ok.png")}` }, policy);
    expect(viaUrl.contentHash).toBe(item.contentHash);
  });

  test("paths outside the folder, a symlink escaping it, and any path without the flag are refused", async () => {
    expect(await failure(loadMedia({ kind: "image", ref: join(dir, "secret.png") }, policy))).toMatch(/outside the folder/);
    expect(await failure(loadMedia({ kind: "image", ref: join(allowed, "..", "secret.png") }, policy))).toMatch(/outside the folder/);
    expect(await failure(loadMedia({ kind: "image", ref: join(allowed, "escape.png") }, policy))).toMatch(/outside the folder/);
    expect(await failure(loadMedia({ kind: "image", ref: "relative.png" }, policy))).toBe(
      "'relative.png' is not an http(s) URL, a data: URL or an absolute local path");
    // Not a reference at all: said so, without the server's flags (a client with no local paths is told the same).
    expect(await failure(loadMedia({ kind: "image", ref: "not a url" }, DEFAULT_MEDIA_POLICY))).toBe(
      "'not a url' is not an http(s) URL, a data: URL or an absolute local path");
    expect(await failure(loadMedia({ kind: "image", ref: join(allowed, "ok.png") }, DEFAULT_MEDIA_POLICY))).toMatch(/--allowed-local-media-path/);
    expect(await failure(loadMedia({ kind: "image", ref: "ftp://example.com/a.png" }, policy))).toMatch(/unsupported media URL scheme 'ftp'/);
  });

  test("a file whose name starts with two dots is under the folder, and the folder itself is not a file", async () => {
    const item = await loadMedia({ kind: "image", ref: join(allowed, "..dots.png") }, policy);
    expect(item.kind === "image" && [item.image.width, item.image.height]).toEqual([4, 4]);
    expect(await failure(loadMedia({ kind: "image", ref: allowed }, policy))).toBe("the local media path is not a file");
  });

  test("a missing file is named missing only under the folder, so paths elsewhere cannot be probed", async () => {
    const outside = "the local media path is outside the folder allowed by --allowed-local-media-path";
    expect(await failure(loadMedia({ kind: "image", ref: join(allowed, "nope.png") }, policy))).toBe("the local media file does not exist");
    expect(await failure(loadMedia({ kind: "image", ref: join(allowed, "sub", "nope.png") }, policy))).toBe("the local media file does not exist");
    // An existing and a missing file outside answer alike, also through a symlink out and through `..` after it.
    expect(await failure(loadMedia({ kind: "image", ref: join(dir, "secret.png") }, policy))).toBe(outside);
    expect(await failure(loadMedia({ kind: "image", ref: join(dir, "nope.png") }, policy))).toBe(outside);
    expect(await failure(loadMedia({ kind: "image", ref: "/nonexistent-dir/nope.png" }, policy))).toBe(outside);
    expect(await failure(loadMedia({ kind: "image", ref: join(allowed, "up", "nope.png") }, policy))).toBe(outside);
    expect(await failure(loadMedia({ kind: "image", ref: `${allowed}/up/allowed/../nope.png` }, policy))).toBe(outside);
  });
});

describe("remote URLs", () => {
  let hanging: ReturnType<typeof Bun.serve>;
  let files: ReturnType<typeof Bun.serve>;
  beforeAll(async () => {
    const png = await gradientImage(12, 9);
    hanging = Bun.serve({ port: 0, fetch: () => new Promise<Response>(() => {}) });
    files = Bun.serve({
      port: 0,
      fetch: (req) => {
        const path = new URL(req.url).pathname;
        if (path === "/cat.png") return new Response(png);
        if (path === "/loop") return Response.redirect("/loop", 302);
        if (path === "/moved") return Response.redirect("/cat.png", 301);
        if (path === "/big") return new Response(new Uint8Array(4096));
        return new Response("nope", { status: 404 });
      },
    });
  });
  afterAll(() => {
    hanging.stop(true);
    files.stop(true);
  });

  test("loopback, private and link-local hosts are refused by default", async () => {
    for (const host of [`127.0.0.1:${files.port}`, `localhost:${files.port}`, "[::1]", "169.254.169.254", "10.0.0.1", "[::ffff:127.0.0.1]"]) {
      expect(await failure(loadMedia({ kind: "image", ref: `http://${host}/cat.png` }, policy))).toMatch(/private, loopback or link-local/);
    }
  });

  test("with private URLs allowed: a fetch, a redirect, a redirect loop, a 404 and the size cap", async () => {
    const open = { ...policy, allowPrivateUrls: true, fetchTimeoutMs: 5000 };
    const base = `http://127.0.0.1:${files.port}`;
    const item = await loadMedia({ kind: "image", ref: `${base}/cat.png` }, open);
    expect(item.kind === "image" && item.image.width).toBe(12);
    expect((await loadMedia({ kind: "image", ref: `${base}/moved` }, open)).contentHash).toBe(item.contentHash);
    expect(await failure(loadMedia({ kind: "image", ref: `${base}/loop` }, open))).toBe("the media URL redirected more than 5 times");
    expect(await failure(loadMedia({ kind: "image", ref: `${base}/missing` }, open))).toBe("fetching the media URL failed with HTTP 404");
    expect(await failure(loadMedia({ kind: "image", ref: `${base}/big` }, { ...open, maxBytes: 1000 }))).toMatch(/larger than the 1000-byte limit/);
  });

  test("a URL that never answers times out", async () => {
    const started = performance.now();
    const open = { ...policy, allowPrivateUrls: true, fetchTimeoutMs: 300 };
    expect(await failure(loadMedia({ kind: "image", ref: `http://127.0.0.1:${hanging.port}/x.png` }, open))).toBe("fetching the media URL took longer than 0.3 s");
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

describe("video", () => {
  test("frames are sampled at the requested fps and hashed with the sampling", async () => {
    const mp4 = await testVideo(30, 10, 64, 48);
    const item = await loadMedia({ kind: "video", ref: dataUrl("video/mp4", mp4), sampling: SAMPLING }, policy);
    if (item.kind !== "video") throw new Error("not a video");
    expect(item.video.totalFrames).toBe(30);
    expect(item.video.sourceFps).toBe(10);
    expect(item.video.indices).toEqual([0, 6, 12, 17, 23, 29]);
    expect(item.video.frames.map((f) => [f.width, f.height])).toEqual(new Array(6).fill([64, 48]));
    const capped = await loadMedia({ kind: "video", ref: dataUrl("video/mp4", mp4), sampling: { ...SAMPLING, maxFrames: 4 } }, policy);
    expect(capped.kind === "video" && capped.video.indices).toEqual([0, 10, 19, 29]);
    expect(capped.contentHash).not.toBe(item.contentHash);
  });

  test("a video without frames, a truncated one and a missing ffmpeg are refused", async () => {
    const audioOnly = await testVideo(0, 10);
    expect(await failure(loadMedia({ kind: "video", ref: dataUrl("video/mp4", audioOnly), sampling: SAMPLING }, policy))).toBe("the video has no video stream");
    const truncated = (await testVideo(20, 10)).slice(0, 200);
    expect(await failure(loadMedia({ kind: "video", ref: dataUrl("video/mp4", truncated), sampling: SAMPLING }, policy))).toMatch(/corrupt|no frames/);
    const noFfmpeg = { ...policy, ffmpegPath: join(dir, "no-ffmpeg") };
    expect(await failure(loadMedia({ kind: "video", ref: dataUrl("video/mp4", audioOnly), sampling: SAMPLING }, noFfmpeg))).toMatch(/apt-get install ffmpeg/);
  });
});
