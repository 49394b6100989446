/**
 * The engine the HTTP server talks to. It prepares requests on the HTTP thread (chat template,
 * tokenization, context check), runs the model in a worker (worker.ts) and turns the worker's token
 * outputs back into text events (detokenization, stop strings, logprobs).
 */
import { ModelTokenizer } from "../../tokenizer/index.ts";
import { DEFAULT_ENGINE_CORE_CONFIG, EMPTY_CORE_STATS, type EngineCoreStats } from "../engine-core/core-types.ts";
import { EventQueue } from "./event-queue.ts";
import { OutputProcessor } from "./output-processor.ts";
import { engineStats } from "./engine-stats.ts";
import { EngineFailedError, type LiveRequest, LiveRequests } from "./live-requests.ts";
import { ParentRequest } from "./parent-request.ts";
import { detokenizeIds, tokenizeInput } from "./prompt.ts";
import { OFF_THREAD_CHARS, PromptPreparer } from "./prompt-preparer.ts";
import type { PromptVision } from "./prompt-protocol.ts";
import { loadVisionProcessor } from "../../models/vision/load-processor.ts";
import { type GenerationDefaults, withGenerationDefaults } from "./sampling.ts";
import { TokenTextCache } from "./token-text.ts";
import {
  CapacityError,
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
import { ToolCallMarkers } from "./tool-call-format.ts";
import { WorkerClient } from "../worker/worker-client.ts";
import type { CoreOptions, FromWorker, ModelFacts } from "../worker/worker-protocol.ts";
import { requestSpec } from "../structured/request-spec.ts";
import { traceMark } from "../trace.ts";

export { EngineFailedError };

/** What bounds a served engine's requests (the serve flags of the same names). */
export interface ServingLimits {
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
}

export interface AsyncEngineOptions extends ServingLimits {
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
  /** libvmlx's folder, for the worker (compiled binaries). */
  libraryDir?: string;
  /** Worker restarts after crashes before the engine reports "failed" (default 2). */
  maxRestarts?: number;
  /** A VLM's processor folder and media options; without it, image and video parts are refused. */
  vision?: PromptVision;
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
  /** What a vision model takes besides text (from its processor: video for the Qwen-VL families). */
  readonly #vision: { video: boolean } | undefined;
  readonly #live = new LiveRequests(() => this.#client);
  #client: WorkerClient;
  #tokenizer: ModelTokenizer | undefined;
  #tokens: TokenTextCache | undefined;
  #markers: ToolCallMarkers | undefined;
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
    const processor = options.vision ? loadVisionProcessor(options.vision.modelDir) : null;
    this.#vision = processor ? { video: processor.processVideo !== null } : undefined;
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
      ...(this.#vision ? { vision: this.#vision } : {}),
    };
  }

  stats(): EngineStats {
    return engineStats(this.#coreStats, this.#maxNumSeqs);
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
    this.#preparer ??= new PromptPreparer(tokenizer, OFF_THREAD_CHARS, this.#options.vision);
    const prepared = await this.#preparer.prepare(request, {
      contextLength: info.contextLength,
      ...(this.#options.defaultMaxTokens === undefined ? {} : { defaultMaxTokens: this.#options.defaultMaxTokens }),
      ...(info.reasoning ? { reasoningStart: info.reasoning.start } : {}),
    }, signal);
    traceMark("eng.prepared", request.requestId, { tokens: prepared.tokenIds.length });
    const structured = await requestSpec(request, info.toolCallFormat);
    const sampling = withGenerationDefaults(request.sampling, this.#options.generationDefaults ?? {});
    const coreId = `${request.requestId}#${++this.#counter}`;
    const parent = new ParentRequest({ requestId: coreId, promptTokenIds: prepared.tokenIds, sampling,
      maxTokens: prepared.maxTokens, stopTokenIds: tokenizer.eosTokenIds, ...(structured ? { structured } : {}),
      ...(prepared.media && prepared.media.length > 0 ? { mm: prepared.media } : {}) }, request.sampling.n);
    const live: LiveRequest = {
      parent,
      queue: new EventQueue(),
      processor: new OutputProcessor(tokenizer, this.#tokens!, {
        n: request.sampling.n,
        stop: request.sampling.stop,
        logprobs: request.sampling.logprobs,
        promptTokens: prepared.tokenIds.length,
        ...(this.#keepsMarkers(request) ? { keepSpecialTokenIds: (this.#markers ??= new ToolCallMarkers(tokenizer)).ids(info.toolCallFormat) } : {}),
      }),
    };
    const onAbort = () => this.#live.release(coreId);
    this.#live.open(coreId, live);
    const timers = this.#live.startTimers(coreId, this.#options.queueTimeoutSeconds, this.#options.requestTimeoutSeconds);
    try {
      yield {
        type: "start",
        promptTokens: prepared.tokenIds.length,
        ...(prepared.promptOpensReasoning === undefined ? {} : { promptOpensReasoning: prepared.promptOpensReasoning }),
      };
      if (signal.aborted) return;
      signal.addEventListener("abort", onAbort, { once: true });
      this.#live.start(coreId);
      yield* live.queue;
    } finally {
      for (const t of timers) clearTimeout(t);
      signal.removeEventListener("abort", onAbort);
      this.#live.release(coreId);
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

  /** With tools offered, the tool-call format's special-token markers stay in the text for the parser. */
  #keepsMarkers(request: GenerateRequest): boolean {
    return request.kind === "chat" && (request.tools?.length ?? 0) > 0;
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
        for (const output of message.outputs) this.#live.onOutput(output);
        return;
      case "failed": {
        const ids = message.requestIds === "all" ? this.#live.ids() : this.#live.owners(message.requestIds);
        return this.#live.fail(ids, message.message, message.kind);
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

  #onCrash(error: Error): void {
    this.#live.fail(this.#live.ids(), error.message);
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
    for (const coreId of this.#live.ids()) this.#live.release(coreId);
    await this.#client.close(timeoutMs);
  }
}
