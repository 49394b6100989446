import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { loadModelDir } from "../../models/load.ts";
import { CoreStepError, EMPTY_CORE_STATS, type EngineCoreLike, type EngineCoreRequest, type TokenOutput } from "../engine-core/core-types.ts";
import { writeFixtureModel } from "../frontend/testing/fixture-model.ts";
import { RequestTooLargeError } from "../core/errors.ts";
import { GREEDY } from "../sampling/params.ts";
import { WorkerLoop, type WorkerModel } from "./worker-loop.ts";
import type { CoreOptions, FromWorker, ToWorker } from "./worker-protocol.ts";

/** A core whose step() emits one token per request, or throws what the test queued. */
class ScriptedCore implements EngineCoreLike {
  readonly requests = new Map<string, number>();
  readonly failures: Error[] = [];
  addRequest(req: EngineCoreRequest): void {
    if (req.requestId.startsWith("bad")) throw new RangeError("refused");
    if (req.requestId.startsWith("big")) throw new RequestTooLargeError(1, 9000, 563, 512);
    this.requests.set(req.requestId, req.maxTokens);
  }
  abortRequest(id: string): void {
    this.requests.delete(id);
  }
  released = 0;
  releaseIdleMemory(): number {
    this.released++;
    return 0;
  }
  hasUnfinished(): boolean {
    return this.requests.size > 0;
  }
  stats() {
    return { ...EMPTY_CORE_STATS, running: this.requests.size };
  }
  step(): TokenOutput[] {
    const failure = this.failures.shift();
    if (failure) throw failure;
    return [...this.requests].map(([requestId, left]) => {
      if (left <= 1) this.requests.delete(requestId);
      else this.requests.set(requestId, left - 1);
      return { requestId, index: 0, token: left, logprob: null, top: null, finishReason: left <= 1 ? "length" : null, numPromptTokens: 1, numCachedTokens: 0 };
    });
  }
}

let dir = "";
let loaded: WorkerModel;
beforeAll(async () => {
  dir = writeFixtureModel({ maxPositionEmbeddings: 2048 });
  loaded = await loadModelDir(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function startLoop(core: ScriptedCore, options: CoreOptions = {}) {
  const messages: FromWorker[] = [];
  const loop = new WorkerLoop({ loadModel: async () => loaded, createCore: () => core, post: (m) => messages.push(m) });
  loop.handle({ type: "init", modelPath: dir, core: options });
  await until(() => messages.some((m) => m.type === "ready"));
  return { loop, messages };
}

async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await Bun.sleep(2);
  }
}

const add = (requestId: string, maxTokens: number): ToWorker =>
  ({ type: "add", request: { requestId, promptTokenIds: [1], sampling: GREEDY, maxTokens, stopTokenIds: new Set<number>() } });

describe("WorkerLoop", () => {
  test("reports the model's facts when ready", async () => {
    const { messages } = await startLoop(new ScriptedCore());
    expect(messages[0]).toMatchObject({ type: "ready", model: { modelType: "qwen3", contextLength: 2048, toolCallFormat: "hermes" } });
  });

  test("steps until done, one outputs message per step, then idles with stats", async () => {
    const { loop, messages } = await startLoop(new ScriptedCore());
    loop.handle(add("a", 3));
    await until(() => messages.filter((m) => m.type === "outputs").length === 3);
    const tokens = messages.flatMap((m) => (m.type === "outputs" ? m.outputs.map((o) => o.token) : []));
    expect(tokens).toEqual([3, 2, 1]);
    await until(() => messages.at(-1)?.type === "stats");
    expect(messages.at(-1)).toMatchObject({ type: "stats", stats: { running: 0 } });
    loop.handle({ type: "shutdown" });
    await until(() => messages.at(-1)?.type === "closed");
  });

  test("a CoreStepError fails only its requests; a bad add fails only that request; the loop goes on", async () => {
    const core = new ScriptedCore();
    const { loop, messages } = await startLoop(core);
    core.failures.push(new CoreStepError(["x"], "MlxError: boom"));
    loop.handle(add("x", 100));
    loop.handle(add("y", 2));
    loop.handle(add("bad-1", 2));
    await until(() => messages.some((m) => m.type === "outputs" && m.outputs.some((o) => o.requestId === "y" && o.finishReason)));
    expect(messages.find((m) => m.type === "failed" && m.requestIds !== "all" && m.requestIds[0] === "bad-1")).toBeDefined();
    expect(messages.find((m) => m.type === "failed" && m.requestIds !== "all" && m.requestIds[0] === "x")).toMatchObject({ message: "MlxError: boom" });
    loop.handle({ type: "abort", requestId: "x" });
    loop.handle({ type: "shutdown" });
  });

  test("failures carry their kind: the core's request errors are 'invalid' (a 400), faults 'internal'", async () => {
    const { loop, messages } = await startLoop(new ScriptedCore());
    loop.handle(add("big-1", 2));
    loop.handle(add("bad-2", 2));
    await until(() => messages.filter((m) => m.type === "failed").length === 2);
    const failed = messages.filter((m) => m.type === "failed");
    expect(failed[0]).toMatchObject({ requestIds: ["big-1"], kind: "invalid" });
    expect((failed[0] as { message: string }).message).not.toMatch(/^RequestTooLargeError/);
    expect(failed[1]).toMatchObject({ requestIds: ["bad-2"], kind: "internal", message: "RangeError: refused" });
    loop.handle({ type: "shutdown" });
  });

  test("any other step error fails every request and the loop keeps serving", async () => {
    const core = new ScriptedCore();
    const { loop, messages } = await startLoop(core);
    core.failures.push(new Error("device lost"));
    loop.handle(add("a", 2));
    await until(() => messages.some((m) => m.type === "failed"));
    expect(messages.find((m) => m.type === "failed")).toMatchObject({ requestIds: "all", message: "Error: device lost" });
    await until(() => messages.some((m) => m.type === "outputs" && m.outputs.some((o) => o.finishReason === "length")));
    loop.handle({ type: "shutdown" });
  });

  test("--max-model-len becomes the context length the frontend checks against", async () => {
    const { loop, messages } = await startLoop(new ScriptedCore(), { maxModelLen: 300 });
    expect(messages[0]).toMatchObject({ type: "ready", model: { contextLength: 300 } });
    loop.handle({ type: "shutdown" });
  });

  test("memory is given back once per idle spell of kvIdleReleaseSeconds, never before the first request", async () => {
    const core = new ScriptedCore();
    const { loop, messages } = await startLoop(core, { kvIdleReleaseSeconds: 0.05 });
    await Bun.sleep(150);
    expect(core.released).toBe(0);
    loop.handle(add("a", 2));
    await until(() => core.released === 1);
    const statsAfter = messages.length;
    await Bun.sleep(200);
    expect(core.released).toBe(1); // once per idle spell
    expect(messages.length).toBe(statsAfter);
    loop.handle(add("b", 1));
    await until(() => core.released === 2);
    loop.handle({ type: "shutdown" });
    await until(() => messages.at(-1)?.type === "closed");
  });

  test("kvIdleReleaseSeconds 0 never releases", async () => {
    const core = new ScriptedCore();
    const { loop } = await startLoop(core, { kvIdleReleaseSeconds: 0 });
    loop.handle(add("a", 1));
    await Bun.sleep(100);
    expect(core.released).toBe(0);
    loop.handle({ type: "shutdown" });
  });

  test("a load failure is reported, not thrown", async () => {
    const messages: FromWorker[] = [];
    const loop = new WorkerLoop({
      loadModel: () => Promise.reject(new Error("no config.json")),
      createCore: () => new ScriptedCore(),
      post: (m) => messages.push(m),
    });
    loop.handle({ type: "init", modelPath: "/nowhere", core: {} });
    await until(() => messages.length > 0);
    expect(messages[0]).toEqual({ type: "load-failed", message: "no config.json" });
  });
});
