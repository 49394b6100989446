/**
 * The engine the HTTP server talks to. It prepares requests on the HTTP thread (chat template,
 * tokenization, context check), runs the model in a worker (worker.ts) and turns the worker's token
 * outputs back into text events (detokenization, stop strings, logprobs).
 */
import { ModelTokenizer } from "../../tokenizer/index.ts";
import { DEFAULT_ENGINE_CORE_CONFIG, EMPTY_CORE_STATS, type EngineCoreStats, type FailureKind, type TokenOutput } from "../engine-core/core-types.ts";
import { EventQueue } from "./event-queue.ts";
import { OutputProcessor } from "./output-processor.ts";
import { ParentRequest } from "./parent-request.ts";
import { detokenizeIds, tokenizeInput } from "./prompt.ts";
import { PromptPreparer } from "./prompt-preparer.ts";
import { type GenerationDefaults, toCoreSampling } from "./sampling.ts";
import { TokenTextCache } from "./token-text.ts";
import {
  CapacityError,
  InvalidRequestError,
  type Engine,
  type EngineEvent,
  type EngineStats,
  type GenerateRequest,
  type LoadState,
  type ModelInfo,
  type ReasoningTags,
  type TokenizeInput,
  type ToolCallFormat,
} from "../protocol.ts";
import { toolCallMarkerIds } from "./tool-call-format.ts";
import { WorkerClient } from "../worker/worker-client.ts";
import type { CoreOptions, FromWorker, ModelFacts } from "../worker/worker-protocol.ts";

/** The generation failed inside the engine (a model error or a worker crash). The server answers 500. */
export class EngineFailedError extends Error {
  override readonly name = "EngineFailedError";
}

export interface AsyncEngineOptions {
  /** The model id shown to clients. */
  id: string;
  /** Model directory or .gguf file, as the worker loads it. */
  modelPath: string;
  /** The tokenizer, when it comes from files beside the weights; else the worker supplies its files. */
  tokenizer?: ModelTokenizer;
  /** The chat template source, to detect reasoning tags. */
  chatTemplateSource?: string;
  /** The tool-call format chosen by `--tool-call-parser` or the chat template; else the model family's default. */
  toolCallFormat?: ToolCallFormat;
  generationDefaults?: GenerationDefaults;
  /** Completion tokens when a request sets none (default: the rest of the context). */
  defaultMaxTokens?: number;
  /** Overrides the model's context length. */
  contextLength?: number;
  /** Requests queued beyond `core.maxNumSeqs` before new ones get 429 (`--max-queue-len`, default 256). */
  maxWaiting?: number;
  /** Seconds a request may wait for its first token before it is refused with 503 (`--queue-timeout`). */
  queueTimeoutSeconds?: number;
  /** Seconds a request may take in all before it is ended with 503 (`--request-timeout`). */
  requestTimeoutSeconds?: number;
  core?: CoreOptions;
  /** libvmlx's folder, for the worker (compiled binaries). */
  libraryDir?: string;
  /** Worker restarts after crashes before the engine reports "failed" (default 2). */
  maxRestarts?: number;
}

interface LiveRequest {
  queue: EventQueue<EngineEvent>;
  processor: OutputProcessor;
  /** The core requests of its choices (n > 1 fans out). */
  parent: ParentRequest;
}

const THINK = { start: "<think>", end: "</think>" };

/**
 * The worker-backed {@link Engine}.
 *
 * @example
 *   const engine = new AsyncEngine({ id: "qwen3", modelPath: dir, tokenizer: await loadTokenizer(dir) });
 *   await engine.ready;
 *   for await (const e of engine.submit(request, signal)) ...
 */
export class AsyncEngine implements Engine {
  readonly #options: AsyncEngineOptions;
  readonly #live = new Map<string, LiveRequest>();
  /** Core request id -> the live request it is a choice of. */
  readonly #childOf = new Map<string, string>();
  #client: WorkerClient;
  #tokenizer: ModelTokenizer | undefined;
  #tokens: TokenTextCache | undefined;
  readonly #markerCache = new Map<ToolCallFormat, ReadonlySet<number>>();
  /** Templates and tokenizes prompts; large ones on a thread of their own. */
  #preparer: PromptPreparer | undefined;
  #facts: ModelFacts | null = null;
  #templateSource: string | undefined;
  #loadState: LoadState = "loading";
  #coreStats: EngineCoreStats = EMPTY_CORE_STATS;
  #restarts = 0;
  #closing = false;
  #counter = 0;
  #settle!: { resolve: () => void; reject: (e: Error) => void };
  /** Resolves when the model is loaded; rejects when loading failed. */
  readonly ready: Promise<void>;

  constructor(options: AsyncEngineOptions) {
    this.#options = options;
    this.#tokenizer = options.tokenizer;
    this.#templateSource = options.chatTemplateSource;
    this.ready = new Promise((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    this.ready.catch(() => undefined);
    this.#client = this.#spawn();
  }

  #spawn(): WorkerClient {
    const init = { type: "init" as const, modelPath: this.#options.modelPath, core: this.#options.core ?? {} };
    return new WorkerClient(this.#options.libraryDir ? { ...init, libraryDir: this.#options.libraryDir } : init, {
      onMessage: (message) => this.#onMessage(message),
      onCrash: (error) => this.#onCrash(error),
    });
  }

  get #maxNumSeqs(): number {
    return this.#options.core?.maxNumSeqs ?? this.#options.core?.completionBatchSize ?? DEFAULT_ENGINE_CORE_CONFIG.maxNumSeqs;
  }

  modelInfo(): ModelInfo {
    const contextLength = this.#options.contextLength ?? this.#facts?.contextLength ?? 0;
    const toolCallFormat: ToolCallFormat = this.#options.toolCallFormat ?? this.#facts?.toolCallFormat ?? "none";
    const opensThink = this.#templateSource?.includes(THINK.start) ?? false;
    const reasoning: ReasoningTags | undefined = opensThink ? { ...THINK } : undefined;
    // Ids past either the tokenizer or the logits are refused; the sampler indexes the logits with them.
    const bounds = [this.#tokenizer?.vocabSize, this.#facts?.vocabSize].filter((n) => n !== undefined);
    const vocabSize = bounds.length > 0 ? Math.min(...bounds) : undefined;
    return {
      id: this.#options.id, contextLength, toolCallFormat, ...(reasoning ? { reasoning } : {}), loadState: this.#loadState,
      ...(vocabSize === undefined ? {} : { vocabSize }),
    };
  }

  stats(): EngineStats {
    const s = this.#coreStats;
    return {
      running: s.running,
      waiting: s.waiting,
      capacity: this.#maxNumSeqs,
      kvBlocksUsed: s.usedBlocks,
      kvBlocksTotal: s.numBlocks,
      prefixCacheQueries: s.prefixCacheQueries,
      prefixCacheHits: s.prefixCacheHits,
      numPreemptions: s.numPreemptions,
      kvBudgetBytes: s.numBlocks * s.bytesPerBlock,
      kvPoolBytes: s.backedBlocks * s.bytesPerBlock,
      mlxCacheBytes: s.mlxCacheBytes,
      mlxCacheLimitBytes: s.mlxCacheLimitBytes,
      mlxActiveBytes: s.mlxActiveBytes,
    };
  }

  /** The core's full counters (blocks, prefix cache, preemptions). */
  coreStats(): EngineCoreStats {
    return { ...this.#coreStats };
  }

  submit(request: GenerateRequest, signal: AbortSignal): AsyncIterable<EngineEvent> {
    return this.#generate(request, signal);
  }

  async *#generate(request: GenerateRequest, signal: AbortSignal): AsyncGenerator<EngineEvent> {
    const tokenizer = this.#admit();
    const info = this.modelInfo();
    this.#preparer ??= new PromptPreparer(tokenizer);
    const prepared = await this.#preparer.prepare(request, {
      contextLength: info.contextLength,
      ...(this.#options.defaultMaxTokens === undefined ? {} : { defaultMaxTokens: this.#options.defaultMaxTokens }),
      ...(info.reasoning ? { reasoningStart: info.reasoning.start } : {}),
    });
    const sampling = toCoreSampling(request.sampling, this.#options.generationDefaults ?? {});
    const coreId = `${request.requestId}#${++this.#counter}`;
    const parent = new ParentRequest({ requestId: coreId, promptTokenIds: prepared.tokenIds, sampling,
      maxTokens: prepared.maxTokens, stopTokenIds: tokenizer.eosTokenIds }, request.sampling.n);
    const live: LiveRequest = {
      parent,
      queue: new EventQueue(),
      processor: new OutputProcessor(tokenizer, this.#tokens!, {
        n: request.sampling.n,
        stop: request.sampling.stop,
        logprobs: request.sampling.logprobs,
        promptTokens: prepared.tokenIds.length,
        ...(this.#keepsMarkers(request) ? { keepSpecialTokenIds: this.#markerIds(tokenizer, info.toolCallFormat) } : {}),
      }),
    };
    const onAbort = () => this.#release(coreId);
    this.#live.set(coreId, live);
    for (const childId of parent.childIds) this.#childOf.set(childId, coreId);
    const timers = this.#startTimers(coreId, live);
    try {
      yield {
        type: "start",
        promptTokens: prepared.tokenIds.length,
        ...(prepared.promptOpensReasoning === undefined ? {} : { promptOpensReasoning: prepared.promptOpensReasoning }),
      };
      if (signal.aborted) return;
      signal.addEventListener("abort", onAbort, { once: true });
      for (const child of parent.start()) this.#client.add(child);
      yield* live.queue;
    } finally {
      for (const t of timers) clearTimeout(t);
      signal.removeEventListener("abort", onAbort);
      this.#release(coreId);
    }
  }

  async tokenize(input: TokenizeInput): Promise<number[]> {
    return tokenizeInput(this.#loadedTokenizer(), input);
  }

  async detokenize(tokenIds: readonly number[]): Promise<string> {
    return detokenizeIds(this.#loadedTokenizer(), tokenIds);
  }

  #loadedTokenizer(): ModelTokenizer {
    if (this.#loadState !== "ready" || !this.#tokenizer) throw new CapacityError(`the model is not ready (${this.#loadState})`, 503);
    return this.#tokenizer;
  }

  /** The queue and request timeouts of one request: each ends it with a 503 and frees its blocks. */
  #startTimers(coreId: string, live: LiveRequest): ReturnType<typeof setTimeout>[] {
    const timers: ReturnType<typeof setTimeout>[] = [];
    const { queueTimeoutSeconds: queue, requestTimeoutSeconds: total } = this.#options;
    if (queue !== undefined && queue > 0) {
      timers.push(setTimeout(() => {
        if (live.processor.completionTokens > 0) return;
        this.#end(coreId, new CapacityError(`the request waited more than ${queue} s for its first token (--queue-timeout); retry later`, 503, 1));
      }, queue * 1000));
    }
    if (total !== undefined && total > 0) {
      timers.push(setTimeout(() => {
        this.#end(coreId, new CapacityError(`the request took more than ${total} s (--request-timeout)`, 503));
      }, total * 1000));
    }
    return timers;
  }

  /** With tools offered, the tool-call format's special-token markers stay in the text for the parser. */
  #keepsMarkers(request: GenerateRequest): boolean {
    return request.kind === "chat" && (request.tools?.length ?? 0) > 0;
  }

  #markerIds(tokenizer: ModelTokenizer, format: ToolCallFormat): ReadonlySet<number> {
    let ids = this.#markerCache.get(format);
    if (!ids) {
      ids = toolCallMarkerIds(format, (t) => tokenizer.tokenToId(t), tokenizer.specialTokenIds);
      this.#markerCache.set(format, ids);
    }
    return ids;
  }

  #admit(): ModelTokenizer {
    if (this.#closing) throw new CapacityError("the engine is shutting down", 503);
    if (this.#loadState !== "ready" || !this.#tokenizer) throw new CapacityError(`the model is not ready (${this.#loadState})`, 503);
    const limit = this.#maxNumSeqs + (this.#options.maxWaiting ?? 256);
    if (this.#live.size >= limit) {
      throw new CapacityError(`too many requests in flight (${this.#live.size}, limit ${limit}); retry later`, 429, 1);
    }
    return this.#tokenizer;
  }

  /** Stops a request: ends its stream and frees its choices in the core. */
  #release(coreId: string): void {
    const live = this.#live.get(coreId);
    if (!live) return;
    this.#forget(coreId, live);
    live.queue.end();
  }

  /** Drops a live request and aborts its choices in the core. */
  #forget(coreId: string, live: LiveRequest): void {
    this.#live.delete(coreId);
    for (const childId of live.parent.childIds) {
      this.#childOf.delete(childId);
      this.#client.abort(childId);
    }
  }

  #onMessage(message: FromWorker): void {
    if ("stats" in message) this.#coreStats = message.stats;
    switch (message.type) {
      case "ready":
        return this.#onReady(message.model);
      case "load-failed":
        this.#loadState = "failed";
        this.#settle.reject(new EngineFailedError(`model load failed: ${message.message}`));
        return;
      case "outputs":
        for (const output of message.outputs) this.#onOutput(output);
        return;
      case "failed": {
        const ids = message.requestIds === "all" ? [...this.#live.keys()]
          : message.requestIds.map((id) => this.#childOf.get(id)).filter((id) => id !== undefined);
        return this.#fail(ids, message.message, message.kind);
      }
    }
  }

  #onReady(facts: ModelFacts): void {
    this.#facts = facts;
    const carried = facts.tokenizerFiles?.tokenizerConfig.chat_template;
    if (this.#templateSource === undefined && carried !== undefined) this.#templateSource = JSON.stringify(carried);
    try {
      this.#tokenizer ??= facts.tokenizerFiles ? ModelTokenizer.fromObjects(facts.tokenizerFiles) : undefined;
    } catch (e) {
      this.#loadState = "failed";
      this.#settle.reject(new EngineFailedError(`tokenizer load failed: ${(e as Error).message}`));
      return;
    }
    if (!this.#tokenizer) {
      this.#loadState = "failed";
      this.#settle.reject(new EngineFailedError(`no tokenizer found for ${this.#options.modelPath}`));
      return;
    }
    this.#tokens ??= new TokenTextCache(this.#tokenizer);
    this.#loadState = "ready";
    this.#settle.resolve();
  }

  #onOutput(output: TokenOutput): void {
    const coreId = this.#childOf.get(output.requestId);
    const live = coreId === undefined ? undefined : this.#live.get(coreId);
    if (!live || coreId === undefined) return;
    const { index, release } = live.parent.route(output);
    for (const child of release) this.#client.add(child);
    try {
      live.queue.push(...live.processor.process(output, index));
    } catch (e) {
      // A failure while turning tokens into text ends that request only; the server keeps running.
      this.#fail([coreId], (e as Error).message);
      return;
    }
    if (live.processor.done) this.#release(coreId);
    else if (output.finishReason === null && live.processor.isFinished(index)) this.#client.abort(output.requestId); // a stop string
  }

  /** Ends requests the worker failed, with the error class their kind maps to (400, 503 or 500). */
  #fail(coreIds: string[], message: string, kind: FailureKind = "internal"): void {
    for (const coreId of coreIds) {
      const error = kind === "invalid" ? new InvalidRequestError(message)
        : kind === "capacity" ? new CapacityError(message, 503, 5)
        : new EngineFailedError(`generation failed: ${message}`);
      this.#end(coreId, error);
    }
  }

  /** Ends a live request with an error and frees it in the core. */
  #end(coreId: string, error: Error): void {
    const live = this.#live.get(coreId);
    if (!live) return;
    this.#forget(coreId, live);
    live.queue.end(error);
  }

  #onCrash(error: Error): void {
    this.#fail([...this.#live.keys()], error.message);
    this.#coreStats = EMPTY_CORE_STATS;
    const wasReady = this.#loadState === "ready";
    if (this.#closing || !wasReady || this.#restarts >= (this.#options.maxRestarts ?? 2)) {
      this.#loadState = "failed";
      this.#settle.reject(new EngineFailedError(error.message));
      return;
    }
    this.#restarts++;
    this.#loadState = "loading";
    this.#client = this.#spawn();
  }

  /** Refuses new requests, ends the live ones and stops the worker. */
  async close(timeoutMs = 5000): Promise<void> {
    this.#closing = true;
    this.#preparer?.close();
    for (const coreId of [...this.#live.keys()]) this.#release(coreId);
    await this.#client.close(timeoutMs);
  }
}
