/**
 * For the browser tests: the freshly built page served beside a scripted OpenAI-compatible API that records what
 * the page asked, Debian's Chromium (tests/e2e/ui-harness.ts), and a few page helpers. Never imported by the page.
 */
import { crc32, deflateSync } from "node:zlib";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../../tests/e2e/ui-harness.ts";
import { buildUi } from "../build.ts";

export const TIMEOUT_MS = 60_000;
export const CONTEXT_LENGTH = 256;
const TASKS = "Tasks:\n\n- [ ] open task\n- [x] done task\n";
/** The code block "CODE" is answered with, and the code a copy of it holds. */
export const CODE = 'print("<hi> & bye")\n    x = 1';
export const NGINX_502 = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
/** Keyword questions and their answers' chunks; anything else gets 400 numbered lines. */
const ANSWERS: Record<string, string[]> = {
  TASKS: [TASKS],
  CODE: ["Here:\n\n```python\n", `${CODE}\n\`\`\`\n`],
  // A server that leaves reasoning in the text; the tags arrive split across chunks.
  THINK: ["<th", "ink>\nLet me ", "ponder.</th", "ink>\n\nThe answer is **4**."],
  FLAKY: ["Recovered."],
};

export type ContentPart = { type: string; text?: string; image_url?: { url: string }; video_url?: { url: string } };

/** One chat request the page made. */
export interface Seen {
  body: { max_tokens?: number; messages: { role: string; content: string | ContentPart[] }[] };
  aborted: boolean;
  finished: boolean;
}

/** Waits up to `ms` for the server to see `record`'s request end (a client abort reaches it after the page moves on). */
export async function serverSawAbort(record: { aborted: boolean }, ms = 5_000): Promise<boolean> {
  for (const deadline = Date.now() + ms; !record.aborted && Date.now() < deadline;) await Bun.sleep(50);
  return record.aborted;
}

export interface OpenOptions {
  viewport?: { width: number; height: number };
  /** /metrics answers 404 (a server without it) to this page. */
  noMetrics?: boolean;
  /** Run before the page is loaded (a fake clock, an init script). */
  before?: (page: Page) => Promise<void>;
}

export interface ScriptedPage {
  seen: Seen[];
  /** How many times /metrics was asked by pages opened with `noMetrics`. */
  missingMetricsAsked: number;
  /** The page in a browser context of its own (its own storage); its model takes what `caps` says ("vision,video"). */
  open(caps?: string, options?: OpenOptions): Promise<Page>;
  close(): Promise<void>;
}

function sse(delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "scripted", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

/**
 * Answers a keyword of ANSWERS with its chunks, a message with content parts with one line, anything else with 400
 * numbered lines, 25 ms apart.
 */
function stream(request: Request, record: Seen): Response {
  const last = record.body.messages.at(-1)?.content ?? "";
  const parts = typeof last === "string" && ANSWERS[last] ? ANSWERS[last]
    : typeof last !== "string" ? [`Saw ${last.filter((p) => p.type !== "text").length} attachments.`]
    : Array.from({ length: 400 }, (_, i) => `Line ${i + 1} of a long answer.\n\n`);
  const encoder = new TextEncoder();
  return new Response(new ReadableStream<Uint8Array>({
    async start(controller) {
      request.signal.addEventListener("abort", () => (record.aborted = true));
      try {
        for (const text of parts) {
          if (request.signal.aborted) return;
          controller.enqueue(encoder.encode(sse({ content: text })));
          await Bun.sleep(25);
        }
        controller.enqueue(encoder.encode(`${sse({}, "stop")}data: [DONE]\n\n`));
        record.finished = true;
        controller.close();
      } catch {
        // The page went away.
      }
    },
  }), { headers: { "Content-Type": "text/event-stream" } });
}

/** Builds the page, serves it with the scripted API on a free port, and launches Chromium. */
export async function startScriptedPage(): Promise<ScriptedPage> {
  const assets = new Map((await buildUi()).map((a) => [a.path, a]));
  const seen: Seen[] = [];
  let missingMetricsAsked = 0;
  let flaky = 0;
  const server = Bun.serve({
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      const { pathname } = new URL(request.url);
      if (pathname === "/ui/config.json") return Response.json({ textOnly: false, maxTokens: 2048, temperature: 0.7 });
      if (pathname === "/v1/models") {
        // The model takes what the page's `caps` cookie says: text only without one.
        const caps = /(?:^|; )caps=([\w,-]*)/.exec(request.headers.get("cookie") ?? "")?.[1] ?? "";
        const capabilities = { vision: caps.includes("vision"), video: caps.includes("video") };
        return Response.json({ object: "list", data: [{ id: "scripted", object: "model", max_model_len: CONTEXT_LENGTH, capabilities }] });
      }
      if (pathname === "/metrics") {
        if (!/(?:^|; )metrics=none/.test(request.headers.get("cookie") ?? "")) return new Response("vllm_mlx_kv_cache_usage_ratio 0\n");
        missingMetricsAsked++;
        return new Response("404 page not found", { status: 404 });
      }
      if (pathname === "/v1/chat/completions") {
        const record: Seen = { body: (await request.json()) as Seen["body"], aborted: false, finished: false };
        seen.push(record);
        if ((record.body.max_tokens ?? 0) >= CONTEXT_LENGTH) {
          return Response.json({ error: { message: `This model's maximum context length is ${CONTEXT_LENGTH} tokens.` } }, { status: 400 });
        }
        const question = record.body.messages.at(-1)?.content;
        if (question === "FAIL") return Response.json({ error: { message: "This prompt is too long." } }, { status: 400 });
        // "FLAKY" meets a proxy's HTML error page every other time, the first included.
        if (question === "FLAKY" && flaky++ % 2 === 0) {
          return new Response(NGINX_502, { status: 502, statusText: "Bad Gateway", headers: { "Content-Type": "text/html" } });
        }
        return stream(request, record);
      }
      const asset = assets.get(pathname);
      return asset ? new Response(asset.body.slice(), { headers: { "Content-Type": asset.contentType } }) : new Response("not found", { status: 404 });
    },
  });
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (e) {
    server.stop(true);
    throw e;
  }
  const base = `http://127.0.0.1:${server.port}/`;
  return {
    seen,
    get missingMetricsAsked() {
      return missingMetricsAsked;
    },
    async open(caps = "", options: OpenOptions = {}) {
      const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 } });
      if (caps) await context.addCookies([{ name: "caps", value: caps, url: base }]);
      if (options.noMetrics) await context.addCookies([{ name: "metrics", value: "none", url: base }]);
      const page = await context.newPage();
      await options.before?.(page);
      await page.goto(base);
      await page.locator("footer.status").getByText("scripted").waitFor();
      return page;
    },
    async close() {
      await browser.close();
      server.stop(true);
    },
  };
}

export const lastAnswer = (page: Page) => page.locator("article.message.assistant").last();
export const composer = (page: Page) => page.locator("form.composer");

export async function send(page: Page, text: string): Promise<void> {
  await page.locator("#prompt").fill(text);
  await page.locator("#prompt").press("Enter");
}

function pngChunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

/** An RGB PNG of one colour, or of random noise (stored, not compressed: about 3 bytes a pixel). */
export function png(width: number, height: number, fill: [number, number, number] | "noise"): Buffer {
  const row = width * 3 + 1;
  const raw = Buffer.alloc(row * height);
  if (fill === "noise") {
    for (let i = 0; i < raw.length; i += 65_536) crypto.getRandomValues(raw.subarray(i, Math.min(i + 65_536, raw.length)));
  }
  for (let y = 0; y < height; y++) {
    raw[y * row] = 0; // filter: none
    if (fill !== "noise") for (let x = 0; x < width; x++) raw.set(fill, y * row + 1 + x * 3);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk("IHDR", header), pngChunk("IDAT", deflateSync(raw, { level: fill === "noise" ? 0 : 9 })), pngChunk("IEND", Buffer.alloc(0))]);
}
