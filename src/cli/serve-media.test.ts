import { describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_MEDIA_POLICY } from "../media/index.ts";
import { parseServeArgs } from "./serve.ts";

const failure = (args: Record<string, string | boolean>): string => {
  try {
    parseServeArgs({ model: "m", ...args });
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected a flag error");
};

describe("serve's media flags", () => {
  test("defaults: local paths and private URLs refused, 2 fps, 128 frames, the policy's limits", () => {
    expect(parseServeArgs({ model: "m" }).media).toEqual({ policy: DEFAULT_MEDIA_POLICY, videoFps: 2, videoMaxFrames: 128 });
  });

  test("every flag reaches the media options", async () => {
    const dir = await mkdtemp(join(tmpdir(), "serve-media-"));
    const media = parseServeArgs({
      model: "m", "allowed-local-media-path": dir, "allow-private-media-urls": true, ffmpeg: "/opt/ffmpeg", "video-fps": "0.5",
      "video-max-frames": "32", "max-media-bytes": "8M", "media-fetch-timeout": "2.5", "max-image-pixels": "1000000",
    }).media!;
    expect(media).toEqual({
      policy: { ...DEFAULT_MEDIA_POLICY, allowedLocalPath: dir, allowPrivateUrls: true, ffmpegPath: "/opt/ffmpeg", maxBytes: 8 * 2 ** 20, fetchTimeoutMs: 2500, maxImagePixels: 1_000_000 },
      videoFps: 0.5,
      videoMaxFrames: 32,
    });
    await rm(dir, { recursive: true });
  });

  test("bad values name the flag", () => {
    expect(failure({ "allowed-local-media-path": "/no/such/folder" })).toBe("--allowed-local-media-path must be an existing folder (got '/no/such/folder')");
    expect(failure({ "video-fps": "0" })).toContain("--video-fps must be a number above 0 and at most 60");
    expect(failure({ "video-max-frames": "1" })).toBe("--video-max-frames must be at least 2 (got '1')");
    expect(failure({ "video-max-frames": "2.5" })).toContain("--video-max-frames must be a whole number");
    expect(failure({ "max-media-bytes": "lots" })).toContain("--max-media-bytes must be a size in bytes");
    expect(failure({ "media-fetch-timeout": "-1" })).toContain("--media-fetch-timeout must be a number above 0");
  });
});
