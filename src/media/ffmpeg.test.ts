import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MediaCancelledError, MediaError } from "./errors.ts";
import { findFfmpeg, runFfmpeg } from "./ffmpeg.ts";
import { DEFAULT_MEDIA_POLICY } from "./policy.ts";
import { testVideo } from "./testing.ts";
import { decodeVideo } from "./video.ts";

const SAMPLING = { fps: 2, minFrames: 4, maxFrames: 64, frameFactor: 2 };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("ffmpeg is killed when its request is cancelled", () => {
  let dir: string;
  let slow: string;
  let pidFile: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "vmlx-ffmpeg-test-"));
    pidFile = join(dir, "pid");
    // A stand-in for an ffmpeg stuck on a large video: it records its pid and sleeps.
    slow = join(dir, "ffmpeg");
    await writeFile(slow, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 60\n`);
    await chmod(slow, 0o755);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function startedPid(): Promise<number> {
    for (let i = 0; i < 500; i++) {
      const file = Bun.file(pidFile);
      if (await file.exists()) {
        const pid = Number((await file.text()).trim());
        if (pid > 0) return pid;
      }
      await Bun.sleep(10);
    }
    throw new Error("the stand-in ffmpeg did not start");
  }

  test("decodeVideo: aborting the signal kills the running ffmpeg and rejects at once", async () => {
    await rm(pidFile, { force: true });
    const controller = new AbortController();
    const decoding = decodeVideo(await testVideo(8, 4), SAMPLING, { ...DEFAULT_MEDIA_POLICY, ffmpegPath: slow }, controller.signal);
    const pid = await startedPid();
    expect(alive(pid)).toBe(true);
    const abortedAt = performance.now();
    controller.abort();
    const error = await decoding.then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(MediaCancelledError);
    expect(performance.now() - abortedAt).toBeLessThan(1000);
    expect(alive(pid)).toBe(false);
  });

  test("runFfmpeg: a signal aborted before the run spawns nothing; the time limit still kills it", async () => {
    await rm(pidFile, { force: true });
    const error = await runFfmpeg(slow, [], { timeoutMs: 60_000, signal: AbortSignal.abort() }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(MediaCancelledError);
    await Bun.sleep(100);
    expect(await Bun.file(pidFile).exists()).toBe(false);
    const timedOut = runFfmpeg(slow, [], { timeoutMs: 300 }).then(() => null, (e: unknown) => e);
    const pid = await startedPid();
    const e = await timedOut;
    expect(e).toBeInstanceOf(MediaError);
    expect((e as MediaError).message).toBe("decoding the video took longer than 0.3 s");
    expect(alive(pid)).toBe(false);
  });
});

describe("a client's video cannot make ffmpeg read other files", () => {
  test("a playlist naming a local video is refused, where ffmpeg alone decodes that video in its place", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vmlx-ffmpeg-playlist-"));
    try {
      const secret = join(dir, "secret.mp4");
      await writeFile(secret, await testVideo(8, 4));
      const playlist = `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nfile://${secret}\n#EXT-X-ENDLIST\n`;
      // ffmpeg without the guard reads the named file through the playlist (the test's premise).
      const listed = join(dir, "list.bin");
      await writeFile(listed, playlist);
      const bare = await runFfmpeg(findFfmpeg(), ["-i", listed, "-map", "0:v:0", "-f", "null", "-"], { timeoutMs: 30_000 });
      expect(bare.stderr).toContain("hls");
      expect(bare.exitCode).toBe(0);
      const error = await decodeVideo(new TextEncoder().encode(playlist), SAMPLING, DEFAULT_MEDIA_POLICY).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(MediaError);
      expect((error as MediaError).message).toBe("the video data is corrupt or not a supported video");
      // A real MP4 still decodes under the guard.
      const video = await decodeVideo(await testVideo(8, 4), SAMPLING, DEFAULT_MEDIA_POLICY);
      expect(video.frames.length).toBeGreaterThanOrEqual(4);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
