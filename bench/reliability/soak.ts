/**
 * Disconnect soak: streamed chat requests over raw sockets at concurrency 16, each cut at a seeded random point
 * (before the response headers, after the first chunk, or mid-stream). Afterwards the KV blocks in use must
 * return to their idle value and `/health` must answer 200.
 */
import { connect, type Socket } from "node:net";
import { chatBody, jsonPost, pool, seededRandom, send } from "./http.ts";
import { invariant, type PartResult, type RunOptions } from "./report.ts";
import { TestServer } from "./server.ts";

export type CutPlan =
  | { kind: "mid-request" }
  | { kind: "before-headers"; afterMs: number }
  | { kind: "after-first-chunk" }
  | { kind: "mid-stream"; events: number };

/** Where a connection was actually cut (the plan may be overtaken: a short answer can end first). */
export type CutResult =
  | "mid-request" | "before-headers" | "after-headers" | "after-first-chunk" | "mid-stream" | "completed" | "hung" | "error";

const MAX_TOKENS = 24;
const CONNECTION_DEADLINE_MS = 180_000;

/** The seeded plan for one request: before the headers (half of those mid-body), after the first chunk, mid-stream. */
export function planCut(random: () => number): CutPlan {
  const r = random();
  if (r < 1 / 6) return { kind: "mid-request" };
  if (r < 1 / 3) return { kind: "before-headers", afterMs: Math.floor(random() * 30) };
  if (r < 2 / 3) return { kind: "after-first-chunk" };
  return { kind: "mid-stream", events: 2 + Math.floor(random() * (MAX_TOKENS - 4)) };
}

function rawRequest(port: number, path: string, body: string): string {
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** Sends one streamed request and cuts the connection as planned. */
export function cutStream(port: number, body: string, plan: CutPlan): Promise<CutResult> {
  return new Promise((resolve) => {
    let received = "";
    let done = false;
    const socket: Socket = connect(port, "127.0.0.1");
    const finish = (result: CutResult) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      socket.destroy();
      resolve(result);
    };
    const deadline = setTimeout(() => finish("hung"), CONNECTION_DEADLINE_MS);
    socket.on("connect", () => {
      const request = rawRequest(port, "/v1/chat/completions", body);
      if (plan.kind === "mid-request") {
        socket.write(request.slice(0, request.length - Math.floor(body.length / 2)));
        setTimeout(() => finish("mid-request"), 20);
        return;
      }
      socket.write(request);
      if (plan.kind === "before-headers") {
        setTimeout(() => finish(received === "" ? "before-headers" : "after-headers"), plan.afterMs);
      }
    });
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      const events = received.split("\n\n").filter((f) => f.includes("data: {")).length;
      if (plan.kind === "after-first-chunk" && events >= 1) finish("after-first-chunk");
      if (plan.kind === "mid-stream" && events >= plan.events) finish("mid-stream");
    });
    socket.on("end", () => finish("completed"));
    socket.on("error", () => finish("error"));
  });
}

export async function runSoak(options: RunOptions): Promise<PartResult> {
  const started = performance.now();
  const count = options.form === "long" ? 500 : 32;
  await using server = await TestServer.start({ maxNumSeqs: 2, ...(options.binary ? { binary: options.binary } : {}) });
  const warm = await send(`${server.url}/v1/chat/completions`, jsonPost(chatBody("warm up")), 120_000);
  const idle = await server.waitKvBlocks(0, 30_000);
  const idleBlocks = idle.used;
  const random = seededRandom(5);
  const plans = Array.from({ length: count }, () => planCut(random));
  const cuts: Record<string, number> = {};
  options.log(`soak: ${count} streams at concurrency 16, idle KV blocks ${idleBlocks}`);
  await pool(count, 16, async (i) => {
    const body = JSON.stringify(chatBody(`Tell me a story about the number ${i}.`, { max_tokens: MAX_TOKENS, stream: true, temperature: 0.7, seed: i }));
    const result = await cutStream(server.port, body, plans[i]!);
    cuts[result] = (cuts[result] ?? 0) + 1;
  });
  const settleStart = performance.now();
  const after = await server.waitKvBlocks(idleBlocks, 120_000);
  const settleSeconds = (performance.now() - settleStart) / 1000;
  const health = await server.healthStatus();
  const probe = await send(`${server.url}/v1/chat/completions`, jsonPost(chatBody("still there?")), 120_000);
  const alive = server.alive();
  return {
    part: "disconnect soak",
    seconds: (performance.now() - started) / 1000,
    figures: {
      streams: count,
      "idle KV blocks before": idleBlocks,
      "KV blocks after": after.used,
      "running / waiting after": `${after.running} / ${after.waiting}`,
      "seconds to settle": settleSeconds,
      ...Object.fromEntries(Object.entries(cuts).map(([k, v]) => [`cut: ${k}`, v])),
    },
    invariants: [
      invariant("no crash", alive, alive ? "server running" : `server exited: ${server.logs.slice(-300)}`),
      invariant("warm-up answered", warm.status === 200, `status ${warm.status}`),
      invariant("no leaked KV blocks", after.used === idleBlocks && after.running === 0 && after.waiting === 0,
        `blocks ${after.used} (idle ${idleBlocks}), running ${after.running}, waiting ${after.waiting}`),
      invariant("no connection hung", (cuts.hung ?? 0) === 0, `${cuts.hung ?? 0} hung`),
      invariant("healthy after", health === 200, `/health ${health}`),
      invariant("serves after", probe.status === 200, `status ${probe.status}`),
    ],
    notes: [],
  };
}
