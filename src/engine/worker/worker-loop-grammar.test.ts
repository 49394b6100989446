/**
 * The worker loop with the grammar thread: compiling a never-seen schema does not stall other requests, a spec
 * that cannot compile fails its request as the client's error (a 400) naming the feature, and a dead grammar
 * thread fails only the constrained requests.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { loadModelDir } from "../../models/load.ts";
import { EMPTY_CORE_STATS, type EngineCoreLike, type EngineCoreRequest, type TokenOutput } from "../engine-core/core-types.ts";
import { writeFixtureModel } from "../frontend/testing/fixture-model.ts";
import { GREEDY } from "../sampling/params.ts";
import type { StructuredOutputSpec } from "../structured/spec.ts";
import type { TokenGrammar } from "../structured/token-grammar.ts";
import { WorkerLoop, type WorkerModel } from "./worker-loop.ts";
import type { FromWorker, ToWorker } from "./worker-protocol.ts";

/** Emits token 1 for every request each step until aborted; logs adds and outputs in `log`. */
class EndlessCore implements EngineCoreLike {
  readonly grammars = new Map<string, TokenGrammar | undefined>();
  constructor(readonly log: string[]) {}
  addRequest(req: EngineCoreRequest, grammar?: TokenGrammar): void {
    this.log.push(`add ${req.requestId}`);
    this.grammars.set(req.requestId, grammar);
  }
  abortRequest(id: string): void {
    this.grammars.get(id)?.dispose();
    this.grammars.delete(id);
  }
  hasUnfinished(): boolean {
    return this.grammars.size > 0;
  }
  stats() {
    return EMPTY_CORE_STATS;
  }
  step(): TokenOutput[] {
    return [...this.grammars.keys()].map((requestId) =>
      ({ requestId, index: 0, token: 1, logprob: null, top: null, finishReason: null, numPromptTokens: 1, numCachedTokens: 0 }));
  }
}

/** The fixture model (real Qwen3 tokenizer): its tokenizer is what the grammar thread builds its table from. */
const dir = writeFixtureModel({ maxPositionEmbeddings: 2048 });
const loaded: WorkerModel = await loadModelDir(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await Bun.sleep(2);
  }
}

/** A loop over an EndlessCore; `log` holds "add <id>", "token <id>" and "failed <ids>: <message>" in order. */
async function startLoop(grammarThread?: string) {
  const log: string[] = [];
  const failures: Extract<FromWorker, { type: "failed" }>[] = [];
  const post = (m: FromWorker) => {
    if (m.type === "outputs") for (const o of m.outputs) log.push(`token ${o.requestId}`);
    if (m.type === "failed") {
      failures.push(m);
      log.push(`failed ${String(m.requestIds)}: ${m.message}`);
    }
  };
  const loop = new WorkerLoop({ loadModel: async () => loaded, createCore: () => new EndlessCore(log), post, warmGrammars: true,
    ...(grammarThread ? { grammarThread } : {}) });
  loop.handle({ type: "init", modelPath: dir, core: {} });
  return { loop, log, failures };
}

const add = (requestId: string, structured?: StructuredOutputSpec): ToWorker => ({
  type: "add",
  request: { requestId, promptTokenIds: [1], sampling: GREEDY, maxTokens: 1 << 30, stopTokenIds: new Set([151645]), ...(structured ? { structured } : {}) },
});

/** A schema no test compiled before, slow to compile (1-3 s on this 2-core CPU): a bounded string and a bounded integer. */
function slowSchema(): StructuredOutputSpec {
  const properties: Record<string, unknown> = {};
  for (let i = 1; i < 2; i++) {
    properties[`s${i}_${Date.now() % 1000}`] = { type: "string", minLength: 2, maxLength: 30 + i };
    properties[`n${i}`] = { type: "integer", minimum: -i * 1000, maximum: i * 7919 + 1 };
  }
  return { type: "json_schema", schema: { type: "object", properties, required: Object.keys(properties), additionalProperties: false } };
}

const count = (log: string[], entry: string, from: number, to: number) => log.slice(from, to).filter((e) => e === entry).length;

describe("the worker loop with the grammar thread", () => {
  test("while a never-seen schema compiles, another request keeps decoding", async () => {
    const { loop, log } = await startLoop();
    loop.handle(add("free"));
    loop.handle(add("warm", { type: "choice", choices: ["yes", "no"] })); // the token table is built once this is added
    await until(() => log.includes("add warm") && log.includes("token free"));
    const mark = log.length; // the slow request arrives now
    loop.handle(add("slow", slowSchema()));
    await until(() => log.includes("add slow"));
    const added = log.indexOf("add slow");
    // Tokens of "free" were emitted between the slow request's arrival and its grammar being ready.
    expect(count(log, "token free", mark, added)).toBeGreaterThanOrEqual(3);
    await until(() => count(log, "token slow", added, log.length) >= 2);
    loop.handle({ type: "shutdown" });
  }, 60_000);

  test("a spec that cannot compile fails its request as 'invalid' (a 400) naming the feature; the others go on", async () => {
    const { loop, log, failures } = await startLoop();
    loop.handle(add("free"));
    loop.handle(add("bad", { type: "regex", pattern: "(?<=a)b" }));
    await until(() => failures.length > 0);
    expect(failures[0]!.requestIds).toEqual(["bad"]);
    expect(failures[0]!.kind).toBe("invalid");
    expect(failures[0]!.message.toLowerCase()).toContain("lookbehind");
    const at = log.length;
    await until(() => count(log, "token free", at, log.length) >= 3);
    loop.handle({ type: "shutdown" });
  }, 60_000);

  test("a grammar thread that dies fails its requests only; the next constrained request gets a fresh thread", async () => {
    const { loop, log, failures } = await startLoop(new URL("../structured/testdata/crashing-grammar-thread.ts", import.meta.url).href);
    loop.handle(add("free"));
    loop.handle(add("c1", { type: "choice", choices: ["yes", "no"] }));
    await until(() => log.includes("add c1"));
    loop.handle(add("c2", { type: "choice", choices: ["crash"] }));
    await until(() => failures.length >= 2);
    const byId = Object.fromEntries(failures.map((f) => [String(f.requestIds), f]));
    expect(byId.c1!.message).toContain("structured output failed: the grammar thread crashed");
    expect(byId.c1!.kind).toBe("internal");
    expect(byId.c2!.message).toContain("boom");
    const at = log.length;
    await until(() => count(log, "token free", at, log.length) >= 3);
    expect(count(log, "token c1", at, log.length)).toBe(0);
    loop.handle(add("c3", { type: "choice", choices: ["yes"] }));
    await until(() => count(log, "token c3", at, log.length) >= 1);
    loop.handle({ type: "shutdown" });
  }, 60_000);
});
