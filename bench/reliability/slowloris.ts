/**
 * Slowloris: 200 connections that trickle their headers or their body one byte every few seconds while a normal
 * client sends short non-streamed requests (max_tokens 1). Reports the normal client's latency against its
 * unloaded value.
 */
import { connect, type Socket } from "node:net";
import { chatBody, jsonPost, quantile, send } from "./http.ts";
import { invariant, type PartResult, type RunOptions } from "./report.ts";
import { TestServer } from "./server.ts";

const SLOW_CONNECTIONS = 200;
const TRICKLE_MS = 2000;

interface Slow {
  mode: "headers" | "body";
  socket: Socket;
  /** Set when the server ended or reset the connection (before this suite destroyed it). */
  closedByServer: boolean;
  answer: string;
}

/** Opens a connection that sends its request a byte at a time: the header block, or (with full headers) the body. */
function openSlow(port: number, mode: "headers" | "body"): Slow {
  const slow: Slow = { mode, socket: connect(port, "127.0.0.1"), closedByServer: false, answer: "" };
  const head = mode === "headers"
    ? `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: `
    : `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`;
  let timer: ReturnType<typeof setInterval> | undefined;
  slow.socket.on("connect", () => {
    slow.socket.write(head);
    timer = setInterval(() => slow.socket.write(mode === "headers" ? "a" : " "), TRICKLE_MS);
  });
  slow.socket.on("data", (chunk: Buffer) => {
    if (slow.answer.length < 200) slow.answer += chunk.toString("latin1");
  });
  slow.socket.on("close", () => {
    clearInterval(timer);
  });
  slow.socket.on("end", () => {
    slow.closedByServer = true;
  });
  slow.socket.on("error", () => {
    if (!slow.socket.destroyed) slow.closedByServer = true;
  });
  return slow;
}

/** The normal client: `count` requests one after another, then more until `minMs` has passed. */
async function normalLatencies(url: string, count: number, minMs = 0): Promise<{ ms: number[]; failed: string[] }> {
  const ms: number[] = [];
  const failed: string[] = [];
  const start = performance.now();
  for (let i = 0; i < count || performance.now() - start < minMs; i++) {
    const outcome = await send(`${url}/v1/chat/completions`, jsonPost(chatBody("Say hi.", { seed: 1 })), 120_000);
    if (outcome.status === 200) ms.push(outcome.ms);
    else failed.push(`${outcome.failure ?? outcome.status}: ${outcome.body.slice(0, 120)}`);
  }
  return { ms, failed };
}

export async function runSlowloris(options: RunOptions): Promise<PartResult> {
  const started = performance.now();
  const samples = options.form === "long" ? 30 : 8;
  /** How long the slow connections keep trickling while the normal client is measured. */
  const loadedMs = options.form === "long" ? 120_000 : 10_000;
  await using server = await TestServer.start({ maxNumSeqs: 2, ...(options.binary ? { binary: options.binary } : {}) });
  await normalLatencies(server.url, 2);
  const unloaded = await normalLatencies(server.url, samples);
  options.log(`slowloris: ${SLOW_CONNECTIONS} slow connections`);
  const slow = Array.from({ length: SLOW_CONNECTIONS }, (_, i) => openSlow(server.port, i % 2 === 0 ? "headers" : "body"));
  await Bun.sleep(TRICKLE_MS + 1000);
  const loaded = await normalLatencies(server.url, samples, loadedMs);
  const openDuring = slow.filter((s) => !s.closedByServer && !s.socket.destroyed).length;
  const closed = (mode: Slow["mode"]) => slow.filter((s) => s.closedByServer && s.mode === mode).length;
  const closedByServer = `${closed("headers")} / ${closed("body")}`;
  for (const s of slow) s.socket.destroy();
  const health = await server.healthStatus();
  const alive = server.alive();
  const answers = [...new Set(slow.filter((s) => s.answer !== "").map((s) => s.answer.split("\r\n")[0]))];
  const base = quantile(unloaded.ms, 0.5);
  const under = quantile(loaded.ms, 0.5);
  return {
    part: "slowloris",
    seconds: (performance.now() - started) / 1000,
    figures: {
      "slow connections": SLOW_CONNECTIONS,
      "seconds under slowloris": loadedMs / 1000,
      "normal requests under slowloris": loaded.ms.length + loaded.failed.length,
      "slow connections still open at the end": openDuring,
      "slow connections closed by the server (headers / body trickle)": closedByServer,
      "normal p50 unloaded (ms)": base,
      "normal p50 under slowloris (ms)": under,
      "normal max under slowloris (ms)": loaded.ms.length ? Math.max(...loaded.ms) : null,
      "ratio (goal <= 2)": under / base,
    },
    invariants: [
      invariant("no crash", alive, alive ? "server running" : `server exited: ${server.logs.slice(-300)}`),
      invariant("normal client served", unloaded.failed.length === 0 && loaded.failed.length === 0,
        `${unloaded.failed.length + loaded.failed.length} failed: ${[...unloaded.failed, ...loaded.failed].slice(0, 3).join("; ")}`),
      invariant("healthy after", health === 200, `/health ${health}`),
    ],
    notes: answers.length ? [`answers to slow connections: ${answers.join(", ")}`] : [],
  };
}
