/**
 * Overload: 10 × max-num-seqs concurrent requests against a small admission queue. Every request must either
 * complete (200) or be refused with 429/503 in OpenAI's shape, each within its deadline.
 */
import { chatBody, isOpenAiError, jsonPost, send } from "./http.ts";
import { invariant, type PartResult, type RunOptions } from "./report.ts";
import { ADMISSION_FLAGS, supportedServeFlags, TestServer } from "./server.ts";

const MAX_NUM_SEQS = 2;
const QUEUE_LEN = 4;
const QUEUE_TIMEOUT_SECONDS = 30;
const REQUEST_DEADLINE_MS = 300_000;

/** The admission flags this server build accepts, and the ones it lacks. */
export async function admissionFlags(binary: string | undefined): Promise<{ flags: string[]; missing: string[] }> {
  const supported = await supportedServeFlags(binary ? { binary } : {});
  const wanted: [string, string][] = [[ADMISSION_FLAGS.queueLen, String(QUEUE_LEN)], [ADMISSION_FLAGS.queueTimeout, String(QUEUE_TIMEOUT_SECONDS)]];
  return {
    flags: wanted.filter(([flag]) => supported.has(flag)).flat(),
    missing: wanted.filter(([flag]) => !supported.has(flag)).map(([flag]) => flag),
  };
}

export async function runOverload(options: RunOptions): Promise<PartResult> {
  const started = performance.now();
  const { flags, missing } = await admissionFlags(options.binary);
  await using server = await TestServer.start({ maxNumSeqs: MAX_NUM_SEQS, extraFlags: flags, ...(options.binary ? { binary: options.binary } : {}) });
  const rounds = options.form === "long" ? 10 : 1;
  const perRound = 10 * MAX_NUM_SEQS;
  const outcomes: Record<string, number> = {};
  const latencies: number[] = [];
  let unexpected = 0;
  let unshaped = 0;
  const examples: string[] = [];
  options.log(`overload: ${rounds} × ${perRound} concurrent requests, flags ${flags.join(" ") || "(none)"}`);
  for (let round = 0; round < rounds; round++) {
    await Promise.all(Array.from({ length: perRound }, async (_, i) => {
      const stream = i % 4 === 3;
      const body = chatBody(`Count to ten, request ${round}.${i}.`, { max_tokens: 16, ...(stream ? { stream: true } : {}) });
      const outcome = await send(`${server.url}/v1/chat/completions`, jsonPost(body), REQUEST_DEADLINE_MS);
      const completed = outcome.status === 200 && (!stream || outcome.body.includes("data: [DONE]"));
      const refused = outcome.status === 429 || outcome.status === 503;
      const key = outcome.failure ?? (completed ? "completed" : refused ? `refused ${outcome.status}` : `other ${outcome.status}`);
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      if (completed) latencies.push(outcome.ms);
      if (refused && !isOpenAiError(outcome.body)) unshaped++;
      if (!completed && !refused) {
        unexpected++;
        if (examples.length < 10) examples.push(`${key}: ${outcome.body.slice(0, 160)}`);
      }
    }));
  }
  const health = await server.healthStatus();
  const settled = await server.waitKvBlocks(0, 60_000);
  const alive = server.alive();
  const total = rounds * perRound;
  const refusedCount = Object.entries(outcomes).filter(([k]) => k.startsWith("refused")).reduce((n, [, v]) => n + v, 0);
  return {
    part: "overload",
    seconds: (performance.now() - started) / 1000,
    figures: {
      requests: total,
      "max-num-seqs": MAX_NUM_SEQS,
      "admission flags": flags.join(" ") || "none (server default: 256 waiting)",
      completed: outcomes.completed ?? 0,
      "refused (429/503)": refusedCount,
      "slowest completion (s)": latencies.length ? Math.max(...latencies) / 1000 : null,
      outcomes: JSON.stringify(outcomes),
    },
    invariants: [
      invariant("no crash", alive, alive ? "server running" : `server exited: ${server.logs.slice(-300)}`),
      invariant("every request completes or gets 429/503", unexpected === 0, `${unexpected} of ${total} neither (${JSON.stringify(outcomes)})`),
      invariant("refusals in OpenAI's shape", unshaped === 0, `${unshaped} not in shape`),
      invariant("KV blocks back to 0", settled.used === 0, `blocks ${settled.used}`),
      invariant("healthy after", health === 200, `/health ${health}`),
    ],
    notes: [
      ...(missing.length ? [`serve does not list ${missing.join(", ")} yet: the server's default admission limit applied`] : []),
      ...examples,
    ],
  };
}
