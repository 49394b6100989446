/**
 * The engine of an embedding or rerank model: tokenizes on the HTTP thread, runs the model in its own
 * worker (worker.ts), where concurrent requests share padded forwards. It is also an {@link Engine}, so
 * health, models, tokenize and metrics work as for a chat model; generation is a 400.
 */
import type { PoolingTask } from "../../models/pooling-config.ts";
import type { ModelTokenizer } from "../../tokenizer/index.ts";
import { detokenizeIds, tokenizeInput } from "../frontend/prompt.ts";
import {
  CapacityError,
  type Engine,
  type EngineEvent,
  type EngineStats,
  InvalidRequestError,
  type LoadState,
  type ModelInfo,
  type TokenizeInput,
} from "../protocol.ts";
import { embedInputs, type InputLimits, scoreInputs } from "./inputs.ts";
import type {
  EmbedInput, EmbedResult, FromPoolingWorker, PoolingFacts, PoolingService, PoolingStats, ScoreResult, ToPoolingWorker,
} from "./protocol.ts";
import type { PoolerInput } from "../../models/pooling-model.ts";
import { threadEntry } from "../thread-entry.ts";

/** Padded tokens one forward takes by default. */
export const DEFAULT_POOLING_BATCH_TOKENS = 16384;

export interface PoolingEngineOptions {
  id: string;
  modelPath: string;
  tokenizer: ModelTokenizer;
  task?: PoolingTask;
  maxBatchTokens?: number;
  libraryDir?: string;
  /** Requests in flight before new ones get 429 (default 256). */
  maxWaiting?: number;
}

interface Live {
  resolve(vectors: Float32Array[]): void;
  reject(error: Error): void;
}

/**
 * @example
 *   const engine = new PoolingEngine({ id: "minilm", modelPath: dir, tokenizer });
 *   await engine.ready;
 *   const { vectors } = await engine.embed([{ kind: "text", text: "hello" }], signal);
 */
export class PoolingEngine implements Engine, PoolingService {
  readonly #options: PoolingEngineOptions;
  readonly #worker: Worker;
  readonly #live = new Map<string, Live>();
  #facts: PoolingFacts | null = null;
  #loadState: LoadState = "loading";
  #stats: PoolingStats = { forwards: 0, inputs: 0, waiting: 0 };
  #counter = 0;
  #closing = false;
  #onClosed: (() => void) | null = null;
  #settle!: { resolve: () => void; reject: (e: Error) => void };
  readonly ready: Promise<void>;

  constructor(options: PoolingEngineOptions) {
    this.#options = options;
    this.ready = new Promise((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    this.ready.catch(() => undefined);
    this.#worker = new Worker(threadEntry("./src/engine/pooling/worker.ts", "./worker.ts", import.meta.url));
    this.#worker.onmessage = (e: MessageEvent<FromPoolingWorker>) => this.#onMessage(e.data);
    this.#worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.#crash(new Error(`pooling worker failed: ${e.message || "unknown error"}`));
    };
    this.#send({
      type: "init", modelPath: options.modelPath, maxBatchTokens: options.maxBatchTokens ?? DEFAULT_POOLING_BATCH_TOKENS,
      ...(options.task ? { task: options.task } : {}), ...(options.libraryDir ? { libraryDir: options.libraryDir } : {}),
    });
  }

  get task(): PoolingTask | null {
    return this.#facts?.config.task ?? null;
  }

  get matryoshka(): boolean {
    return this.#facts?.config.matryoshka ?? false;
  }

  get dimensions(): number {
    return this.#facts?.config.task === "embed" ? this.#facts.dimensions : 0;
  }

  #send(message: ToPoolingWorker): void {
    this.#worker.postMessage(message);
  }

  #onMessage(message: FromPoolingWorker): void {
    if ("stats" in message) this.#stats = message.stats;
    switch (message.type) {
      case "ready":
        this.#facts = message.facts;
        this.#loadState = "ready";
        return this.#settle.resolve();
      case "load-failed":
        this.#loadState = "failed";
        return this.#settle.reject(new Error(`model load failed: ${message.message}`));
      case "result":
        this.#live.get(message.requestId)?.resolve(message.vectors);
        this.#live.delete(message.requestId);
        return;
      case "failed":
        for (const id of message.requestIds) {
          this.#live.get(id)?.reject(new Error(`pooling failed: ${message.message}`));
          this.#live.delete(id);
        }
        return;
      case "closed":
        return this.#onClosed?.();
    }
  }

  #crash(error: Error): void {
    this.#loadState = "failed";
    this.#settle.reject(error);
    for (const live of this.#live.values()) live.reject(error);
    this.#live.clear();
  }

  #limits(): InputLimits {
    if (this.#closing) throw new CapacityError("the engine is shutting down", 503);
    if (this.#loadState !== "ready" || !this.#facts) throw new CapacityError(`the model is not ready (${this.#loadState})`, 503);
    const limit = this.#options.maxWaiting ?? 256;
    if (this.#live.size >= limit) throw new CapacityError(`too many requests in flight (${this.#live.size}, limit ${limit}); retry later`, 429, 1);
    return { config: this.#facts.config, maxModelLen: this.#facts.maxModelLen, vocabSize: this.#options.tokenizer.vocabSize };
  }

  #run(inputs: PoolerInput[], signal: AbortSignal): Promise<Float32Array[]> {
    const requestId = `pool-${++this.#counter}`;
    return new Promise<Float32Array[]>((resolve, reject) => {
      if (signal.aborted) return reject(new Error("request aborted"));
      const onAbort = () => {
        this.#live.delete(requestId);
        this.#send({ type: "abort", requestId });
        reject(new Error("request aborted"));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      const done = () => signal.removeEventListener("abort", onAbort);
      this.#live.set(requestId, {
        resolve: (v) => (done(), resolve(v)),
        reject: (e) => (done(), reject(e)),
      });
      this.#send({ type: "run", requestId, inputs });
    });
  }

  async embed(inputs: readonly EmbedInput[], signal: AbortSignal): Promise<EmbedResult> {
    const limits = this.#limits();
    if (limits.config.task !== "embed") throw new InvalidRequestError(`model '${this.#options.id}' is a rerank model: it does not serve embeddings`);
    const pooled = embedInputs(this.#options.tokenizer, inputs, limits);
    const vectors = await this.#run(pooled, signal);
    return { vectors, promptTokens: pooled.reduce((n, p) => n + p.tokenIds.length, 0) };
  }

  async score(query: string, documents: readonly string[], signal: AbortSignal): Promise<ScoreResult> {
    const limits = this.#limits();
    if (limits.config.task !== "score") throw new InvalidRequestError(`model '${this.#options.id}' is an embedding model: it does not serve rerank`);
    const pooled = scoreInputs(this.#options.tokenizer, query, documents, limits);
    const vectors = await this.#run(pooled, signal);
    return { scores: vectors.map((v) => v[0]!), promptTokens: pooled.reduce((n, p) => n + p.tokenIds.length, 0) };
  }

  // The Engine surface: everything but generation.
  // eslint-disable-next-line require-yield
  async *submit(): AsyncGenerator<EngineEvent> {
    const what = this.task === "score" ? "a rerank model: use /v1/rerank" : "an embedding model: use /v1/embeddings";
    throw new InvalidRequestError(`model '${this.#options.id}' is ${what}; it does not generate text`);
  }

  async tokenize(input: TokenizeInput): Promise<number[]> {
    return tokenizeInput(this.#options.tokenizer, input);
  }

  async detokenize(tokenIds: readonly number[]): Promise<string> {
    return detokenizeIds(this.#options.tokenizer, tokenIds);
  }

  modelInfo(): ModelInfo {
    return {
      id: this.#options.id, contextLength: this.#facts?.maxModelLen ?? 0, toolCallFormat: "none", loadState: this.#loadState,
      vocabSize: this.#options.tokenizer.vocabSize,
    };
  }

  stats(): EngineStats & PoolingStats {
    return { running: this.#live.size, capacity: this.#options.maxWaiting ?? 256, ...this.#stats };
  }

  async close(timeoutMs = 5000): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    for (const live of this.#live.values()) live.reject(new CapacityError("the engine is shutting down", 503));
    this.#live.clear();
    const closed = new Promise<void>((resolve) => {
      this.#onClosed = resolve;
    });
    this.#send({ type: "shutdown" });
    await Promise.race([closed, Bun.sleep(timeoutMs)]);
    this.#worker.terminate();
  }
}
