/**
 * Fuzzing: the hand-written adversarial cases (plus, in the long form, random mutations up to 10,000 requests),
 * then schemathesis against `/openapi.json`. Counts crashes (the server process died: it is restarted and the
 * run goes on), 5xx answers, and errors not in OpenAI's shape.
 */
import { adversarialCases, type FuzzCase, hugeBodyCase, mutatedCase } from "./fuzz-cases.ts";
import { seededRandom, send, Tally } from "./http.ts";
import { invariant, type PartResult, type RunOptions } from "./report.ts";
import { ensureSchemathesis, runSchemathesis } from "./schemathesis.ts";
import { TestServer } from "./server.ts";

const SPEC = { maxNumSeqs: 2 };
const REQUEST_DEADLINE_MS = 120_000;

function sendCase(url: string, c: FuzzCase) {
  const headers: Record<string, string> = c.contentType === null ? {} : { "content-type": c.contentType };
  return send(`${url}${c.path}`, { method: c.method, headers, ...(c.body === null ? {} : { body: c.body }) }, REQUEST_DEADLINE_MS);
}

function serverErrorsIn(metrics: Map<string, number>): number {
  let n = 0;
  for (const [key, value] of metrics) if (/^vllm_mlx_requests_total\{status="5\d\d"\}$/.test(key)) n += value;
  return n;
}

/** The server's own count of finished requests by status. */
function serverStatuses(metrics: Map<string, number>): string {
  const out: Record<string, number> = {};
  for (const [key, value] of metrics) {
    const status = /^vllm_mlx_requests_total\{status="(\d+)"\}$/.exec(key)?.[1];
    if (status) out[status] = value;
  }
  return JSON.stringify(out);
}

export async function runFuzz(options: RunOptions): Promise<PartResult> {
  const started = performance.now();
  const spec = { ...SPEC, ...(options.binary ? { binary: options.binary } : {}) };
  const long = options.form === "long";
  let server = await TestServer.start(spec);
  const crashes: string[] = [];
  const tally = new Tally();
  // The server's own 5xx count, from when it became healthy (its /health answers 503 while it loads).
  let serverReported5xx = 0;
  let baseline5xx = serverErrorsIn(await server.metrics());
  const restartIfDead = async (label: string) => {
    if (server.alive()) return;
    crashes.push(`${label} (exit ${server.proc.exitCode ?? server.proc.signalCode}): ${server.logs.slice(-300)}`);
    server = await TestServer.start(spec);
    baseline5xx = serverErrorsIn(await server.metrics());
  };
  const countServer5xx = async () => {
    if (!server.alive()) return;
    const now = serverErrorsIn(await server.metrics());
    serverReported5xx += now - baseline5xx;
    baseline5xx = now;
  };

  const cases = [...adversarialCases(long ? {} : { sample: 120 }), hugeBodyCase()];
  if (long) {
    const random = seededRandom(11);
    for (let i = 0; cases.length < 10_000; i++) cases.push(mutatedCase(random, i));
  }
  options.log(`fuzz: ${cases.length} hand-written cases`);
  for (const c of cases) {
    tally.add(c.name, await sendCase(server.url, c));
    await restartIfDead(c.name);
  }
  await countServer5xx();
  const handWritten = { requests: tally.requests, crashes: crashes.length };

  const st = await ensureSchemathesis(options.log);
  options.log("fuzz: schemathesis");
  const schemathesis = await runSchemathesis(st, server.url, { maxExamples: long ? 400 : 5, seed: 1, deadlineMs: long ? 3_600_000 : 300_000 });
  for (const call of schemathesis.calls) {
    const outcome = { status: call.status, body: call.body ?? (call.shaped ? '{"error":{"message":"","type":""}}' : ""),
      ...(call.status === 0 ? { failure: "network" as const } : {}) };
    tally.add(`schemathesis ${call.operation}`, outcome);
  }
  await restartIfDead("schemathesis");
  await countServer5xx();
  const finalMetrics = server.alive() ? await server.metrics() : new Map<string, number>();
  const health = await server.healthStatus();
  const errorLines = server.logs.split("\n").filter((l) => /ERROR|failed|uncaught|unhandled/i.test(l)).slice(-5);
  await server.stop();

  return {
    part: "fuzzing",
    seconds: (performance.now() - started) / 1000,
    figures: {
      "requests (hand-written)": handWritten.requests,
      "requests (schemathesis)": schemathesis.calls.length,
      "requests (total)": tally.requests,
      crashes: crashes.length,
      "5xx (client side)": tally.serverErrors,
      "5xx (server's /metrics)": serverReported5xx,
      "errors not in OpenAI's shape": tally.unshapedErrors,
      "timeouts (no answer in 120 s)": tally.timeouts,
      "network errors": tally.networkErrors,
      "schemathesis exit code": schemathesis.exitCode,
      statuses: JSON.stringify(tally.statuses),
      "server's statuses (last server)": serverStatuses(finalMetrics),
    },
    invariants: [
      invariant("no crash", crashes.length === 0, `${crashes.length} crashes`),
      invariant("no 5xx", tally.serverErrors === 0 && serverReported5xx === 0,
        `${tally.serverErrors} seen by clients, ${serverReported5xx} counted by the server`),
      invariant("every error in OpenAI's shape", tally.unshapedErrors === 0, `${tally.unshapedErrors} not in shape`),
      invariant("every request answered", tally.timeouts === 0 && tally.networkErrors === 0,
        `${tally.timeouts} timeouts, ${tally.networkErrors} network errors`),
      invariant("schemathesis ran", schemathesis.calls.length > 0, `${schemathesis.calls.length} calls logged`),
      invariant("healthy after", health === 200, `/health ${health}`),
    ],
    notes: [...crashes.map((c) => `crash after ${c}`), ...tally.examples, ...errorLines.map((l) => `server log: ${l.slice(0, 300)}`),
      `schemathesis: ${schemathesis.summary}`],
  };
}
