/**
 * Memory over time: the server's resident memory (VmRSS) sampled across requests of mixed length (prompt,
 * completion, streamed or not), with the idle level before and after.
 */
import { jsonPost, pool, quantile, seededRandom, send, Tally } from "./http.ts";
import { longPrompt } from "./prefill.ts";
import { invariant, type PartResult, type RunOptions } from "./report.ts";
import { TestServer } from "./server.ts";

const MiB = 1024 * 1024;

async function idleRss(server: TestServer): Promise<number> {
  await server.waitKvBlocks(0, 120_000);
  await Bun.sleep(2000);
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

export async function runMemory(options: RunOptions): Promise<PartResult> {
  const started = performance.now();
  const count = options.form === "long" ? 2000 : 40;
  await using server = await TestServer.start({ maxNumSeqs: 2, ...(options.binary ? { binary: options.binary } : {}) });
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
      requests: count,
      "RSS at start (MiB)": cold / MiB,
      "RSS idle before (MiB)": before / MiB,
      "RSS peak (MiB)": peak / MiB,
      "RSS p50 under load (MiB)": quantile(samples, 0.5) / MiB,
      "RSS idle after (MiB)": after / MiB,
      "after / idle before (goal <= 1.10)": after / before,
      statuses: JSON.stringify(tally.statuses),
    },
    invariants: [
      invariant("no crash", alive, alive ? "server running" : `server exited: ${server.logs.slice(-300)}`),
      invariant("every request answered 200", tally.statuses["200"] === count, JSON.stringify(tally.statuses)),
      invariant("healthy after", health === 200, `/health ${health}`),
    ],
    notes: tally.examples,
  };
}
