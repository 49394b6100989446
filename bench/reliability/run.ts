#!/usr/bin/env bun
/**
 * The reliability suite: fuzzing, disconnect soak, overload, slowloris, long prefill and memory over time, each
 * against a freshly started server with a small KV budget. Writes its figures as JSON and a markdown table and
 * exits 1 when a hard invariant fails (timings are reported, never asserted).
 *
 * @example
 *   bun bench/reliability/run.ts --short                 # a few minutes; scripts/test.sh runs it
 *   bun bench/reliability/run.ts --long                  # by hand: 10,000+ fuzz requests, 500 cut streams, ...
 *   bun bench/reliability/run.ts --short --only fuzzing,soak --binary dist/vllm-mlx
 */
import { mkdirSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { runFuzz } from "./fuzz.ts";
import { runMemory } from "./memory.ts";
import { runOverload } from "./overload.ts";
import { runPrefill } from "./prefill.ts";
import { failures, type PartResult, type RunOptions, toMarkdown } from "./report.ts";
import { REPO_ROOT, TestServer } from "./server.ts";
import { runSlowloris } from "./slowloris.ts";
import { runSoak } from "./soak.ts";

const PARTS: Record<string, (options: RunOptions) => Promise<PartResult>> = {
  fuzzing: runFuzz,
  soak: runSoak,
  overload: runOverload,
  slowloris: runSlowloris,
  prefill: runPrefill,
  memory: runMemory,
};

const { values } = parseArgs({
  options: {
    long: { type: "boolean", default: false },
    short: { type: "boolean", default: false },
    binary: { type: "string" },
    only: { type: "string" },
    out: { type: "string" },
  },
});
const form = values.long ? "long" : "short";
const names = values.only ? values.only.split(",") : Object.keys(PARTS);
const unknown = names.filter((n) => !(n in PARTS));
if (unknown.length > 0) {
  console.error(`unknown part(s) ${unknown.join(", ")}; parts: ${Object.keys(PARTS).join(", ")}`);
  process.exit(2);
}
const outDir = resolve(values.out ?? (form === "long" ? join(REPO_ROOT, "bench", "reliability", "results") : join(REPO_ROOT, ".cache", "reliability")));
const options: RunOptions = {
  form,
  ...(values.binary ? { binary: resolve(values.binary) } : {}),
  log: (line) => console.log(`[reliability] ${line}`),
};

const results: PartResult[] = [];
for (const name of names) {
  options.log(`${name} (${form} form)`);
  try {
    results.push(await PARTS[name]!(options));
  } catch (e) {
    results.push({ part: name, seconds: 0, figures: {}, notes: [],
      invariants: [{ name: "part ran", ok: false, detail: String((e as Error).stack ?? e).slice(0, 600) }] });
  } finally {
    await TestServer.stopAll(); // a part that threw midway leaves no server behind
  }
  const last = results.at(-1)!;
  options.log(`${name}: ${last.invariants.every((i) => i.ok) ? "ok" : "FAILED"} in ${last.seconds.toFixed(0)} s`);
}

const header = {
  form,
  date: new Date().toISOString(),
  machine: `${os.cpus().length}-core ${os.type()} ${os.arch()} (${os.cpus()[0]?.model ?? "unknown CPU"})`,
  server: options.binary ?? "bun src/cli/main.ts serve",
};
mkdirSync(outDir, { recursive: true });
const markdown = toMarkdown(results, header);
await Bun.write(join(outDir, `${form}.json`), `${JSON.stringify({ ...header, results }, null, 2)}\n`);
await Bun.write(join(outDir, `${form}.md`), markdown);
console.log(markdown);
const failed = failures(results);
console.log(failed.length === 0 ? "reliability: every invariant holds" : `reliability: ${failed.length} invariant(s) failed:\n  ${failed.join("\n  ")}`);
console.log(`figures: ${join(outDir, `${form}.json`)} and ${form}.md`);
process.exit(failed.length === 0 ? 0 : 1);
