#!/usr/bin/env bun
/**
 * TTFT of a repeated image served from the caches (content-keyed prefix cache + encoder-output cache) over the
 * cold TTFT of the same request, through `vllm-mlx serve` over HTTP (goal: <= 0.2). Each round uses a new
 * image (so its first request is cold) and sends, streaming, one after another:
 *   cold:   image + question A
 *   hit:    the same image + question A again (every full block of the prompt cached)
 *   shared: the same image + question B (the blocks before the question cached; the image not encoded again)
 * Medians over the rounds; /metrics counters before and after show the hits were real.
 *
 *   bun bench/vlm/cache-ttft.ts --model DIR [--image 224x224] [--rounds 3] [--port 8397]
 */
import { parseArgs } from "node:util";
import { sendStreamingRequest } from "../../src/bench/client.ts";
import { imageDataUrl } from "../../src/bench/images.ts";
import { median } from "./report.ts";

const { values: args } = parseArgs({
  options: {
    model: { type: "string" }, image: { type: "string", default: "224x224" }, rounds: { type: "string", default: "3" },
    port: { type: "string", default: "8397" }, "max-tokens": { type: "string", default: "4" },
  },
});
if (!args.model) throw new Error("usage: bun bench/vlm/cache-ttft.ts --model DIR [--image WxH] [--rounds N]");
const [width, height] = args.image!.split("x").map(Number) as [number, number];
const base = `http://127.0.0.1:${args.port}`;
const server = Bun.spawn([process.execPath, `${import.meta.dir}/../../src/cli/main.ts`, "serve", args.model, "--port", args.port!],
  { stdout: "ignore", stderr: "pipe" });
try {
  for (let i = 0; ; i++) {
    if (await fetch(`${base}/health`).then((r) => r.ok, () => false)) break;
    if (i > 300) throw new Error("the server did not start");
    await Bun.sleep(500);
  }
  const counters = async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const get = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
    return { prefixHitTokens: get("vllm_mlx_prefix_cache_hit_tokens_total"), mmHits: get("vllm_mlx_prefix_cache_mm_hits_total"),
      encoderHits: get("vllm_mlx_mm_encoder_cache_hits_total"), encoderMisses: get("vllm_mlx_mm_encoder_cache_misses_total") };
  };
  const ttft = async (url: string, question: string) => {
    const config = { baseUrl: base, model: args.model!, endpoint: "chat" as const, images: { next: async () => [url] }, imagesFirst: true };
    const r = await sendStreamingRequest(config, question, Number(args["max-tokens"]));
    if (!r.ok || r.chunkTimesMs.length === 0) throw new Error(`request failed: ${r.error}`);
    return { ms: r.chunkTimesMs[0]! - r.startMs, promptTokens: r.promptTokens };
  };
  const warm = await imageDataUrl(width, height, 999);
  await ttft(warm, "Warm-up.");
  const before = await counters();
  const rows: { cold: number; hit: number; shared: number; promptTokens: number }[] = [];
  for (let r = 0; r < Number(args.rounds); r++) {
    const url = await imageDataUrl(width, height, 100 + r);
    const cold = await ttft(url, "What is in this image? Describe it briefly.");
    const hit = await ttft(url, "What is in this image? Describe it briefly.");
    const shared = await ttft(url, "Which colours does this picture use?");
    rows.push({ cold: cold.ms, hit: hit.ms, shared: shared.ms, promptTokens: cold.promptTokens });
    console.error(`[cache-ttft] round ${r + 1}: cold ${cold.ms.toFixed(1)} ms, hit ${hit.ms.toFixed(1)} ms, shared-prefix ${shared.ms.toFixed(1)} ms`);
  }
  const after = await counters();
  const m = (k: "cold" | "hit" | "shared") => median(rows.map((x) => x[k]));
  console.log(JSON.stringify({ model: args.model, image: args.image, rounds: rows.length, promptTokens: rows[0]?.promptTokens,
    coldMs: m("cold"), hitMs: m("hit"), sharedMs: m("shared"), hitOverCold: m("hit") / m("cold"), sharedOverCold: m("shared") / m("cold"),
    counters: Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - before[k as keyof typeof before]])), rows }, null, 2));
} finally {
  server.kill();
  await server.exited;
}
