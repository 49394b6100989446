import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import sharp from "sharp";
import { parseBenchServeArgs, runBenchServe } from "../cli/bench-serve.ts";
import { BenchArgError, parseImageSize } from "../cli/bench-args.ts";
import { requestBody } from "./client.ts";
import { BenchImageSource, chatContent, imageDataUrl } from "./images.ts";

async function decoded(url: string): Promise<{ width?: number; height?: number; format?: string }> {
  expect(url.startsWith("data:image/jpeg;base64,")).toBe(true);
  return sharp(Buffer.from(url.slice("data:image/jpeg;base64,".length), "base64")).metadata();
}

describe("bench serve images", () => {
  test("imageDataUrl: a JPEG of the asked size; seeds give different images", async () => {
    const a = await imageDataUrl(64, 48, 1);
    expect(await decoded(a)).toMatchObject({ width: 64, height: 48, format: "jpeg" });
    expect(await imageDataUrl(64, 48, 1)).toBe(a);
    expect(await imageDataUrl(64, 48, 2)).not.toBe(a);
  });

  test("BenchImageSource: perRequest new images per call, none repeated", async () => {
    const source = new BenchImageSource({ width: 32, height: 32, perRequest: 2 });
    const first = await source.next();
    const second = await source.next();
    expect(first.length).toBe(2);
    expect(new Set([...first, ...second]).size).toBe(4);
  });

  test("chat content and request bodies", () => {
    expect(chatContent("hi", [])).toBe("hi");
    expect(chatContent("hi", ["data:a", "data:b"])).toEqual([
      { type: "text", text: "hi" },
      { type: "image_url", image_url: { url: "data:a" } },
      { type: "image_url", image_url: { url: "data:b" } },
    ]);
    expect(chatContent("hi", ["data:a"], true)).toEqual([{ type: "image_url", image_url: { url: "data:a" } }, { type: "text", text: "hi" }]);
    const chat = requestBody({ baseUrl: "http://x", model: "m", endpoint: "chat" }, "hi", 8, ["data:a"]);
    expect(chat.messages).toEqual([{ role: "user", content: [{ type: "text", text: "hi" }, { type: "image_url", image_url: { url: "data:a" } }] }]);
    expect(chat.max_tokens).toBe(8);
    expect(() => requestBody({ baseUrl: "http://x", model: "m", endpoint: "completions" }, "hi", 8, ["data:a"])).toThrow("images need the chat endpoint");
  });

  test("flags: --image-size WxH, --images-per-request N, chat only", () => {
    expect(parseImageSize("1280x720")).toEqual({ width: 1280, height: 720 });
    expect(() => parseImageSize("1280")).toThrow("--image-size takes WIDTHxHEIGHT");
    expect(() => parseImageSize("0x10")).toThrow("between 1 and 16384");
    const base = { url: "http://127.0.0.1:1", endpoint: "chat" };
    expect(parseBenchServeArgs({ ...base, "image-size": "448x448" }).images).toEqual({ width: 448, height: 448, perRequest: 1 });
    expect(parseBenchServeArgs({ ...base, "image-size": "224x224", "images-per-request": "3" }).images).toEqual({ width: 224, height: 224, perRequest: 3 });
    expect(parseBenchServeArgs(base).images).toBeUndefined();
    expect(() => parseBenchServeArgs({ ...base, "images-per-request": "2" })).toThrow("--images-per-request needs --image-size");
    expect(() => parseBenchServeArgs({ ...base, "image-size": "4x4", "images-per-request": "0" })).toThrow("at least 1");
    expect(() => parseBenchServeArgs({ url: base.url, endpoint: "completions", "image-size": "4x4" })).toThrow(BenchArgError);
  });
});

describe("bench serve sends the images to a server", () => {
  const bodies: Record<string, unknown>[] = [];
  let server: ReturnType<typeof Bun.serve>;
  beforeAll(() => {
    server = Bun.serve({ port: 0, async fetch(req) {
      if (new URL(req.url).pathname === "/v1/models") return Response.json({ data: [{ id: "vlm" }] });
      const body = (await req.json()) as Record<string, unknown>;
      bodies.push(body);
      const content = (body.messages as { content: unknown }[])[0]!.content;
      const words = (typeof content === "string" ? content : (content as { text?: string }[])[0]!.text!).split(" ").length;
      const images = Array.isArray(content) ? content.length - 1 : 0;
      const usage = { prompt_tokens: words + 5 + 64 * images, completion_tokens: Number(body.max_tokens) };
      if (body.stream !== true) return Response.json({ choices: [{ message: { content: "x" } }], usage });
      const frames = [...Array.from({ length: Number(body.max_tokens) }, () => ({ choices: [{ delta: { content: "t" } }] })), { choices: [], usage }];
      return new Response(`${frames.map((f) => `data: ${JSON.stringify(f)}\n\n`).join("")}data: [DONE]\n\n`,
        { headers: { "content-type": "text/event-stream" } });
    } });
  });
  afterAll(() => server.stop(true));

  test("every measured request carries its own images; probes carry none; usage counts the image tokens", async () => {
    const config = parseBenchServeArgs({ url: `http://127.0.0.1:${server.port}`, endpoint: "chat", "image-size": "40x30",
      "images-per-request": "2", "input-len": "16", "output-len": "3", "num-prompts": "3", warmup: "0" });
    const lines: string[] = [];
    const result = await runBenchServe(config, (l) => lines.push(l), { update() {}, done() {} } as never);
    const probes = bodies.filter((b) => b.stream !== true);
    const measured = bodies.filter((b) => b.stream === true);
    expect(probes.length).toBeGreaterThan(0);
    for (const p of probes) expect(typeof (p.messages as { content: unknown }[])[0]!.content).toBe("string");
    expect(measured.length).toBe(3);
    const urls: string[] = [];
    for (const b of measured) {
      const content = (b.messages as { content: { type: string; image_url?: { url: string } }[] }[])[0]!.content;
      expect(content.map((p) => p.type)).toEqual(["text", "image_url", "image_url"]);
      for (const p of content.slice(1)) {
        urls.push(p.image_url!.url);
        expect(await decoded(p.image_url!.url)).toMatchObject({ width: 40, height: 30 });
      }
    }
    expect(new Set(urls).size).toBe(6);
    expect(result.rows[0]!.summary.completed).toBe(3);
    // 16 text tokens (the probes calibrate text alone) + 2 images x 64 tokens each, from usage.
    expect(result.rows[0]!.summary.totalInputTokens).toBe(3 * (16 + 128));
    expect(lines[0]).toContain("+ 2 images of 40x30");
  });
});
