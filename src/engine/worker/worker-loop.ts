/**
 * The model thread's loop: applies `add`/`abort` messages to the core, runs `step()`, posts each step's
 * tokens, yields to the event loop between steps so messages arrive, and sleeps while idle. A failed step
 * fails only the requests it names (CoreStepError) or, for any other error, every request; the loop goes on.
 */
import type { DecoderModel } from "../../models/decoder.ts";
import type { HfConfig } from "../../models/config.ts";
import type { ModelFactory } from "../../models/registry.ts";
import type { VisionLanguageModel } from "../../models/vision/vlm.ts";
import type { TokenizerFiles } from "../../tokenizer/config.ts";
import { loadTokenizer } from "../../tokenizer/load.ts";
import { CoreStepError, EMPTY_CORE_STATS, failureKind, type EngineCoreLike, type EngineCoreRequest, type EngineCoreStats,
  type TokenOutput } from "../engine-core/core-types.ts";
import { RequestGrammars } from "../structured/request-grammars.ts";
import { StructuredOutputError } from "../structured/spec.ts";
import type { TokenGrammar } from "../structured/token-grammar.ts";
import { TRACING, epochMs, traceMark } from "../trace.ts";
import { LoopGate, yieldToMessages } from "./loop-gate.ts";
import type { CoreOptions, FromWorker, InitMessage, ModelFacts, ToWorker } from "./worker-protocol.ts";

/** A loaded model as the worker needs it. */
export interface WorkerModel {
  model: DecoderModel;
  hfConfig: HfConfig;
  factory: ModelFactory;
  /** Tokenizer files carried by the weights (GGUF). */
  tokenizerFiles?: TokenizerFiles;
  /** A vision-language model (`model` is its text decoder): the core then takes images and videos. */
  vlm?: VisionLanguageModel;
}

/** Idle seconds before the KV pool shrinks back and MLX's buffer cache is emptied (`--kv-idle-release`). */
export const DEFAULT_KV_IDLE_RELEASE_SECONDS = 300;

/** Loads a model directory or a .gguf file. */
export type ModelLoader = (path: string) => Promise<WorkerModel>;
/** Builds the engine core around a loaded model. */
export type CoreFactory = (model: DecoderModel, options: CoreOptions, vlm?: VisionLanguageModel) => EngineCoreLike;

export interface WorkerDeps {
  loadModel: ModelLoader;
  createCore: CoreFactory;
  post: (message: FromWorker) => void;
  /**
   * Build the grammar token table right after the model loads (the engine worker does), so that the first
   * constrained request does not stall running ones for it (about 0.3-1 s on a 2-core CPU).
   */
  warmGrammars?: boolean;
  /** The grammar thread's module (tests); the default is src/engine/structured/grammar-thread.ts. */
  grammarThread?: string;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function modelFacts(loaded: WorkerModel, maxModelLen: number | undefined): ModelFacts {
  const config = loaded.model.spec.config;
  const declared = loaded.hfConfig.max_position_embeddings;
  const modelLen = typeof declared === "number" && declared > 0 ? declared : config.maxPositionEmbeddings;
  return {
    modelType: config.modelType,
    contextLength: maxModelLen ?? modelLen,
    toolCallFormat: loaded.factory.toolCallFormat,
    vocabSize: config.vocabSize,
    ...(loaded.tokenizerFiles ? { tokenizerFiles: loaded.tokenizerFiles } : {}),
  };
}

/**
 * One worker's state machine. Feed it every message with {@link handle}; it runs until `shutdown`.
 *
 * @example
 *   const loop = new WorkerLoop({ loadModel, createCore, post: (m) => postMessage(m) });
 *   self.onmessage = (e) => loop.handle(e.data);
 */
export class WorkerLoop {
  readonly #deps: WorkerDeps;
  #core: EngineCoreLike | null = null;
  #grammars: RequestGrammars | null = null;
  /** Constrained requests whose grammar is being compiled. */
  readonly #compiling = new Set<string>();
  readonly #gate = new LoopGate();
  /** Tracing only: the steps run, and the requests that have emitted a token. */
  #numSteps = 0;
  readonly #emitted = new Set<string>();

  constructor(deps: WorkerDeps) {
    this.#deps = deps;
  }

  handle(message: ToWorker): void {
    switch (message.type) {
      case "init":
        void this.#start(message);
        return;
      case "add":
        traceMark("w.add", message.request.requestId);
        if (message.request.structured) void this.#addConstrained(message.request);
        else this.#add(message.request);
        break;
      case "abort":
        this.#compiling.delete(message.requestId);
        this.#emitted.delete(message.requestId);
        this.#core?.abortRequest(message.requestId);
        this.#post({ type: "stats", stats: this.#stats() });
        break;
      case "shutdown":
        if (this.#gate.close()) this.#post({ type: "closed" });
        break;
    }
    this.#gate.notify();
  }

  #add(request: EngineCoreRequest, grammar?: TokenGrammar): void {
    try {
      this.#requireCore().addRequest(request, grammar);
    } catch (e) {
      grammar?.dispose();
      const kind = failureKind(e);
      // A request error's own message is for the client; a fault keeps its class name for the log.
      const text = kind === "internal" || !(e instanceof Error) ? errorMessage(e) : e.message;
      this.#post({ type: "failed", requestIds: [request.requestId], message: text, kind, stats: this.#stats() });
    }
  }

  /** Compiles the request's grammar (cached per spec), then adds it unless it was aborted meanwhile. */
  async #addConstrained(request: EngineCoreRequest): Promise<void> {
    const id = request.requestId;
    this.#compiling.add(id);
    let grammar: TokenGrammar;
    try {
      if (!this.#grammars) throw new Error("the model is not loaded yet");
      grammar = await this.#grammars.create(request.structured!, [...request.stopTokenIds], id);
    } catch (e) {
      if (!this.#compiling.delete(id)) return;
      const kind = e instanceof StructuredOutputError ? "invalid" : "internal";
      this.#post({ type: "failed", requestIds: [id], message: kind === "invalid" ? (e as Error).message : errorMessage(e), kind, stats: this.#stats() });
      return;
    }
    if (!this.#compiling.delete(id)) {
      grammar.dispose(); // aborted while compiling
      return;
    }
    this.#add(request, grammar);
    this.#gate.notify();
  }

  /** The grammar thread died: its requests fail with its error, the others go on (a later one starts a new thread). */
  #grammarCrash(error: Error, requestIds: string[]): void {
    if (requestIds.length === 0) return;
    for (const id of requestIds) {
      this.#emitted.delete(id);
      this.#core?.abortRequest(id);
    }
    this.#post({ type: "failed", requestIds, message: `structured output failed: ${error.message}`, kind: "internal", stats: this.#stats() });
  }

  #requireCore(): EngineCoreLike {
    if (!this.#core) throw new Error("the model is not loaded yet");
    return this.#core;
  }

  #post(message: FromWorker): void {
    this.#deps.post(message);
  }

  #stats(): EngineCoreStats {
    return this.#core?.stats() ?? EMPTY_CORE_STATS;
  }

  async #start(init: InitMessage): Promise<void> {
    let loaded: WorkerModel;
    try {
      loaded = await this.#deps.loadModel(init.modelPath);
      this.#core = this.#deps.createCore(loaded.model, init.core, loaded.vlm);
      const files = loaded.tokenizerFiles;
      this.#grammars = new RequestGrammars(async () => files ?? (await loadTokenizer(init.modelPath)).files, loaded.model.spec.config.vocabSize,
        { onCrash: (error, requestIds) => this.#grammarCrash(error, requestIds), specifier: this.#deps.grammarThread });
    } catch (e) {
      // The loaders' errors name the file and the fault; `serve` prints this as its one line.
      this.#post({ type: "load-failed", message: e instanceof Error ? e.message : String(e) });
      return;
    }
    this.#post({ type: "ready", model: modelFacts(loaded, init.core.maxModelLen), stats: this.#stats() });
    if (this.#deps.warmGrammars) void this.#grammars.warm(); // built while nothing runs yet
    this.#gate.setRunning(true);
    await this.#run(this.#core, (init.core.kvIdleReleaseSeconds ?? DEFAULT_KV_IDLE_RELEASE_SECONDS) * 1000);
    this.#gate.setRunning(false);
    await this.#grammars.close();
    this.#post({ type: "closed" });
  }

  /** Steps while there is work; idle for `idleReleaseMs` (0: never), it gives memory back once. */
  async #run(core: EngineCoreLike, idleReleaseMs: number): Promise<void> {
    let released = true; // nothing to give back before the first request
    while (!this.#gate.closing) {
      if (!core.hasUnfinished()) {
        const woken = await this.#gate.sleep(released || idleReleaseMs <= 0 ? null : idleReleaseMs);
        if (!woken && !this.#gate.closing && core.releaseIdleMemory && !core.hasUnfinished()) {
          core.releaseIdleMemory();
          released = true;
          this.#post({ type: "stats", stats: this.#stats() });
        }
        continue;
      }
      released = false;
      this.#step(core);
      if (!core.hasUnfinished()) this.#post({ type: "stats", stats: this.#stats() });
      await yieldToMessages();
    }
  }

  #step(core: EngineCoreLike): void {
    try {
      const t0 = TRACING ? epochMs() : 0;
      const outputs = core.step();
      const t1 = TRACING ? epochMs() : 0;
      if (outputs.length > 0) this.#post({ type: "outputs", outputs, stats: core.stats() });
      if (TRACING) this.#traceStep(core, t0, t1, outputs);
    } catch (e) {
      if (e instanceof CoreStepError) {
        for (const id of e.requestIds) this.#emitted.delete(id);
        if (e.outputs.length > 0) this.#post({ type: "outputs", outputs: [...e.outputs], stats: core.stats() });
        this.#post({ type: "failed", requestIds: [...e.requestIds], message: e.message, kind: e.kind, stats: core.stats() });
        return;
      }
      this.#emitted.clear();
      this.#post({ type: "failed", requestIds: "all", message: errorMessage(e), kind: "internal", stats: core.stats() });
    }
  }

  /**
   * `VLLM_MLX_TRACE`: one mark a step, with when it began (t0) and returned its tokens (t1), what it emitted and which
   * requests got their first token.
   */
  #traceStep(core: EngineCoreLike, t0: number, t1: number, outputs: readonly TokenOutput[]): void {
    const first: string[] = [];
    for (const o of outputs) {
      if (!this.#emitted.has(o.requestId)) first.push(o.requestId);
      if (o.finishReason) this.#emitted.delete(o.requestId);
      else this.#emitted.add(o.requestId);
    }
    const { waiting, running } = core.stats();
    traceMark("w.step", null, { t0, t1, n: ++this.#numSteps, emitted: outputs.length, first, waiting, running });
  }
}
