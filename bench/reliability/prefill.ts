/**
 * Long prefill: while a long prompt (about 4,000 tokens in the long form) prefills, `/health` is sampled every
 * 50 ms and one short streamed request must get its first token.
 */
import { connect } from "node:net";
import { jsonPost, quantile, send } from "./http.ts";
import { invariant, type PartResult, type RunOptions } from "./report.ts";
import { TestServer } from "./server.ts";

/** A prompt of about `tokens` tokens for SmolLM2's tokenizer ("w123" words are about 3.9 tokens each). */
export function longPrompt(tokens: number): string {
  const words = Math.ceil(tokens / 3.9);
  return Array.from({ length: words }, (_, i) => `w${(i * 7919) % 1000}`).join(" ");
}

/** Time from sending a streamed chat request to its first content chunk, or null past the deadline. */
function firstTokenMs(port: number, deadlineMs: number): Promise<number | null> {
  const body = JSON.stringify({ messages: [{ role: "user", content: "Hi" }], max_tokens: 1, stream: true });
  const start = performance.now();
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let received = "";
    const finish = (value: number | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => finish(null), deadlineMs);
    socket.on("connect", () => socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`));
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("utf8");
      if (/"content":"[^"]/.test(received) || received.includes('"finish_reason":"')) finish(performance.now() - start);
    });
    socket.on("end", () => finish(null));
    socket.on("error", () => finish(null));
  });
}

export async function runPrefill(options: RunOptions): Promise<PartResult> {
  const started = performance.now();
  const target = options.form === "long" ? 4000 : 1000;
  await using server = await TestServer.start({ maxNumSeqs: 2, ...(options.binary ? { binary: options.binary } : {}) });
  await send(`${server.url}/v1/completions`, jsonPost({ prompt: "warm up", max_tokens: 1 }), 120_000);
  options.log(`prefill: a prompt of about ${target} tokens`);
  let prefilling = true;
  const longStart = performance.now();
  const long = send(`${server.url}/v1/completions`, jsonPost({ prompt: longPrompt(target), max_tokens: 1 }), 900_000)
    .finally(() => {
      prefilling = false;
    });
  const health: number[] = [];
  const healthFailures: number[] = [];
  let short: Promise<number | null> | null = null;
  while (prefilling && server.alive()) {
    const t0 = performance.now();
    const status = await server.healthStatus(10_000);
    const ms = performance.now() - t0;
    if (status === 200) health.push(ms);
    else healthFailures.push(status);
    if (short === null && performance.now() - longStart > 1000) short = firstTokenMs(server.port, 900_000);
    await Bun.sleep(Math.max(0, 50 - ms));
  }
  const longOutcome = await long;
  const longSeconds = (performance.now() - longStart) / 1000;
  const shortTtft = short ? await short : await firstTokenMs(server.port, 120_000);
  const promptTokens = longOutcome.status === 200 ? (JSON.parse(longOutcome.body).usage?.prompt_tokens ?? null) : null;
  const after = await server.healthStatus();
  const alive = server.alive();
  return {
    part: "long prefill",
    seconds: (performance.now() - started) / 1000,
    figures: {
      "prompt tokens": promptTokens,
      "long request (s)": longSeconds,
      "/health samples": health.length,
      "/health p50 (ms)": quantile(health, 0.5),
      "/health p99 (ms, goal < 100)": quantile(health, 0.99),
      "/health max (ms)": health.length ? Math.max(...health) : null,
      "short request started during prefill": short !== null,
      "short request first token (ms)": shortTtft,
    },
    invariants: [
      invariant("no crash", alive, alive ? "server running" : `server exited: ${server.logs.slice(-400)}`),
      invariant("long request answered 200", longOutcome.status === 200,
        `${longOutcome.failure ?? longOutcome.status} ${longOutcome.body.slice(0, 160)}`),
      invariant("/health answered 200 throughout", healthFailures.length === 0, `${healthFailures.length} failed samples`),
      invariant("short request got its first token", shortTtft !== null, shortTtft === null ? "no first token" : `${shortTtft.toFixed(0)} ms`),
      invariant("healthy after", after === 200, `/health ${after}`),
    ],
    notes: [],
  };
}
