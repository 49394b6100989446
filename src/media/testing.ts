/** Media for tests, made on the spot: images through sharp, videos through ffmpeg, crafted headers, a trickling server. */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { crc32, deflateSync } from "node:zlib";
import sharp from "sharp";
import { findFfmpeg } from "./ffmpeg.ts";

/** A PNG (or JPEG) of a smooth gradient with some noise, `width` x `height`, deterministic. */
export async function gradientImage(width: number, height: number, format: "png" | "jpeg" = "png", channels: 3 | 4 = 3): Promise<Uint8Array> {
  const data = new Uint8Array(width * height * channels);
  let seed = width * 7919 + height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const o = (y * width + x) * channels;
      data[o] = Math.round((255 * x) / Math.max(width - 1, 1));
      data[o + 1] = Math.round((255 * y) / Math.max(height - 1, 1));
      data[o + 2] = seed >>> 24;
      if (channels === 4) data[o + 3] = (x * 13 + y * 7) & 0xff;
    }
  }
  const img = sharp(data, { raw: { width, height, channels } });
  return new Uint8Array(format === "png" ? await img.png().toBuffer() : await img.jpeg({ quality: 90 }).toBuffer());
}

function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, "latin1"), body])) >>> 0, 0);
  return Buffer.concat([head, body, crc]);
}

/** A PNG whose header declares `width` x `height` but which carries one row of pixels: a decompression bomb's header. */
export function pngHeaderOnly(width: number, height: number): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return new Uint8Array(Buffer.concat([signature, chunk("IHDR", ihdr), chunk("IDAT", deflateSync(new Uint8Array(1 + width * 3))), chunk("IEND", new Uint8Array())]));
}

/** An MP4 made by ffmpeg: `frames` frames of a test pattern at `fps`, or audio only when `frames` is 0. */
export async function testVideo(frames: number, fps: number, width = 64, height = 48): Promise<Uint8Array> {
  const ffmpeg = findFfmpeg();
  const source = frames === 0
    ? ["-f", "lavfi", "-i", "sine=frequency=440:duration=0.5", "-c:a", "aac"]
    : ["-f", "lavfi", "-i", `testsrc2=size=${width}x${height}:rate=${fps}`, "-frames:v", String(frames), "-pix_fmt", "yuv420p", "-c:v", "mpeg4", "-q:v", "2"];
  const out = `${process.env.TMPDIR ?? "/tmp"}/vllm-mlx-test-${process.pid}-${Math.random().toString(36).slice(2)}.mp4`;
  const child = Bun.spawn([ffmpeg, "-hide_banner", "-loglevel", "error", "-y", ...source, "-f", "mp4", out], { stdout: "ignore", stderr: "pipe" });
  if ((await child.exited) !== 0) throw new Error(`ffmpeg failed: ${await new Response(child.stderr).text()}`);
  const file = Bun.file(out);
  const bytes = new Uint8Array(await file.arrayBuffer());
  await file.delete();
  return bytes;
}

/** A local HTTP server that sends a PNG signature and then one byte every 50 ms, forever, recording when each connection opens and closes. */
export interface TrickleServer {
  url: string;
  /** `performance.now()` of each connection's request and of each connection's close. */
  opened: number[];
  closed: number[];
  stop: () => void;
}

/** Starts a {@link TrickleServer} on 127.0.0.1; `/late-404` answers 404 after 300 ms instead (not recorded). */
export async function trickleServer(): Promise<TrickleServer> {
  const opened: number[] = [];
  const closed: number[] = [];
  const server = createServer((req, res) => {
    if (req.url === "/late-404") {
      setTimeout(() => res.writeHead(404).end(), 300);
      return;
    }
    opened.push(performance.now());
    req.socket.on("close", () => closed.push(performance.now()));
    res.writeHead(200, { "content-type": "image/png" });
    res.write(new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
    const timer = setInterval(() => res.write(new Uint8Array([0])), 50);
    res.on("close", () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slow.png`;
  return { url, opened, closed, stop: () => (server.closeAllConnections(), server.close()) };
}

/** Waits (up to 5 s) until `list` has `n` entries. */
export async function waitForLength(list: readonly unknown[], n: number): Promise<void> {
  for (let i = 0; i < 500 && list.length < n; i++) await Bun.sleep(10);
}
