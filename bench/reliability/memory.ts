/**
 * Memory over time: the server's resident memory (VmRSS) sampled across requests of mixed length (prompt,
 * completion, streamed or not), with the idle level before and after.
 */
import { existsSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { jsonPost, pool, quantile, seededRandom, send, Tally } from "./http.ts";
import { longPrompt } from "./prefill.ts";
import { invariant, type PartResult, type RunOptions } from "./report.ts";
import { TestServer } from "./server.ts";

const MiB = 1024 * 1024;

async function idleRss(server: TestServer): Promise<number> {
  await server.waitKvBlocks(0, 120_000);
  await Bun.sleep((IDLE_RELEASE_SECONDS + 2) * 1000); // past the idle release
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(server.rss() ?? Number.NaN);
    await Bun.sleep(400);
  }
  return quantile(samples, 0.5);
}

/** Request `i` of the mix: prompts of 5 to ~600 tokens, 1 to 16 completion tokens, a quarter streamed. */
export function mixedRequest(random: () => number, i: number): { path: string; body: Record<string, unknown> } {
  const promptTokens = Math.floor(5 + random() ** 3 * 600);
  const maxTokens = 1 + Math.floor(random() * 16);
  const stream = random() < 0.25;
  const text = `${i}: ${longPrompt(promptTokens)}`;
  const body = random() < 0.5
    ? { messages: [{ role: "user", content: text }], max_tokens: maxTokens, stream }
    : { prompt: text, max_tokens: maxTokens, stream };
  return { path: "messages" in body ? "/v1/chat/completions" : "/v1/completions", body };
}

/** Seconds idle before the server gives KV and buffer-cache memory back, in the mixed run (the default is 300). */
const IDLE_RELEASE_SECONDS = 5;

/** The default model's weights: the GGUF file serve loads when given no model. */
function defaultWeightsBytes(): number | null {
  const path = join(homedir(), ".cache", "vllm-mlx", "models", "SmolLM2-135M-Instruct.Q4_1.gguf");
  return existsSync(path) ? statSync(path).size : null;
}

/**
 * Two servers of the default model with serve's default flags, side by side: each one's idle resident memory
 * against the weights (goal: at most weights + 512 MiB), and both still healthy (no OOM kill).
 */
async function defaultPair(options: RunOptions): Promise<{ figures: Record<string, number | string>; ok: boolean; detail: string }> {
  const spec = { maxNumSeqs: 0, defaults: true, ...(options.binary ? { binary: options.binary } : {}) };
  await using a = await TestServer.start(spec);
  await using b = await TestServer.start(spec);
  for (const s of [a, b]) await send(`${s.url}/v1/chat/completions`, jsonPost({ messages: [{ role: "user", content: "hi" }], max_tokens: 2 }), 120_000);
  await Bun.sleep(2000);
  const rss = [a.rss() ?? Number.NaN, b.rss() ?? Number.NaN];
  const health = [await a.healthStatus(), await b.healthStatus()];
  const weights = defaultWeightsBytes() ?? Number.NaN;
  const limit = weights + 512 * MiB;
  const ok = health.every((h) => h === 200) && rss.every((r) => r <= limit);
  return {
    figures: {
      "default flags: weights (MiB)": weights / MiB,
      "default flags: idle RSS server A (MiB)": rss[0]! / MiB,
      "default flags: idle RSS server B (MiB)": rss[1]! / MiB,
      "default flags: both healthy side by side": health.join(","),
    },
    ok,
    detail: `RSS ${rss.map((r) => (r / MiB).toFixed(0)).join(" and ")} MiB against weights + 512 MiB = ${(limit / MiB).toFixed(0)} MiB; /health ${health.join(",")}`,
  };
}

export async function runMemory(options: RunOptions): Promise<PartResult> {
  const started = performance.now();
  const count = options.form === "long" ? 2000 : 40;
  const pair = await defaultPair(options);
  options.log(`memory: default flags ${pair.detail}`);
  await using server = await TestServer.start({ maxNumSeqs: 2, extraFlags: ["--kv-idle-release", String(IDLE_RELEASE_SECONDS)],
    ...(options.binary ? { binary: options.binary } : {}) });
  const cold = server.rss() ?? Number.NaN;
  for (let i = 0; i < 3; i++) await send(`${server.url}/v1/chat/completions`, jsonPost({ messages: [{ role: "user", content: `warm ${i}` }], max_tokens: 4 }), 120_000);
  const before = await idleRss(server);
  options.log(`memory: ${count} mixed requests, idle RSS ${(before / MiB).toFixed(0)} MiB`);
  const random = seededRandom(3);
  const requests = Array.from({ length: count }, (_, i) => mixedRequest(random, i));
  const tally = new Tally();
  let peak = before;
  const samples: number[] = [];
  let running = true;
  const sampler = (async () => {
    while (running) {
      const rss = server.rss();
      if (rss !== null) {
        samples.push(rss);
        peak = Math.max(peak, rss);
      }
      await Bun.sleep(250);
    }
  })();
  await pool(count, 4, async (i) => {
    const { path, body } = requests[i]!;
    tally.add(`${path} #${i}`, await send(`${server.url}${path}`, jsonPost(body), 300_000));
  });
  running = false;
  await sampler;
  const after = await idleRss(server);
  const health = await server.healthStatus();
  const alive = server.alive();
  return {
    part: "memory over time",
    seconds: (performance.now() - started) / 1000,
    figures: {
      ...pair.figures,
      requests: count,
      "--kv-idle-release (s)": IDLE_RELEASE_SECONDS,
      "RSS at start (MiB)": cold / MiB,
      "RSS idle before (MiB)": before / MiB,
      "RSS peak (MiB)": peak / MiB,
      "RSS p50 under load (MiB)": quantile(samples, 0.5) / MiB,
      "RSS idle after (MiB)": after / MiB,
      "after / idle before (goal <= 1.10)": after / before,
      statuses: JSON.stringify(tally.statuses),
    },
    invariants: [
      invariant("two default servers side by side, each idle at most weights + 512 MiB", pair.ok, pair.detail),
      invariant("no crash", alive, alive ? "server running" : `server exited: ${server.logs.slice(-300)}`),
      invariant("resident memory back within 10% of the idle level", after <= 1.1 * before,
        `idle ${(before / MiB).toFixed(0)} MiB, after ${(after / MiB).toFixed(0)} MiB`),
      invariant("every request answered 200", tally.statuses["200"] === count, JSON.stringify(tally.statuses)),
      invariant("healthy after", health === 200, `/health ${health}`),
    ],
    notes: tally.examples,
  };
}
