/**
 * The engine core: one `step()` is schedule -> execute -> updateFromOutput over a paged KV pool, for many
 * requests at once (continuous batching, chunked prefill, prefix caching, preemption by recompute), with the
 * next step scheduled and queued before this one's tokens are read (async scheduling).
 */
import * as mx from "../../mlx/index.ts";
import { applyRecommendedWiredLimit } from "../../mlx/wired.ts";
import type { Model } from "../../models/decoder.ts";
import { InvalidRequestError, type Scheduler, type Sequence } from "../core/index.ts";
import type { KvMemory } from "../paged/kv-memory.ts";
import type { PagedKvPool } from "../paged/kv-pool.ts";
import { DEFAULT_MM_CACHE_BYTES, EncoderCache, type EncoderCacheStats } from "../multimodal/encoder-cache.ts";
import { MultimodalStage } from "../multimodal/mm-stage.ts";
import { disposeEncoderOutput, type EncoderOutput, type MultimodalModel } from "../multimodal/vision-model.ts";
import { ModelRunner } from "../runner/model-runner.ts";
import { disposeSample, readSample, sampleAsync } from "../runner/sample-step.ts";
import { needsPenalties } from "../sampling/params.ts";
import { GrammarBitmasks, type MaskStats } from "../structured/grammar-bitmask.ts";
import type { TokenGrammar } from "../structured/token-grammar.ts";
import { CoreStepError, DEFAULT_ENGINE_CORE_CONFIG, type EngineCoreConfig, type EngineCoreRequest, type EngineCoreStats,
  queueLayersFromEnv, type TokenOutput } from "./core-types.ts";
import { type InFlightStep, onlyEndingPrompts, pendingDecodeTokens } from "./in-flight.ts";
import { MaxModelLenError, RequestState } from "./requests.ts";
import { buildCoreMemory, coreStats, stuckUnderPressure } from "./setup.ts";
import { decodeBucketSizes, kernelWarmContexts, warmDecodeSteps } from "./warmup.ts";

export { InvalidRequestError, RequestTooLargeError } from "../core/index.ts";
export { KvCacheTooSmallError } from "../paged/sizing.ts";
export { DEFAULT_ENGINE_CORE_CONFIG, type EngineCoreConfig, type EngineCoreRequest, type TokenOutput } from "./core-types.ts";
export { MaxModelLenError } from "./requests.ts";

/**
 * @example
 * const core = new EngineCore(model, { maxModelLen: 4096, numGpuBlocks: 1024 });
 * core.addRequest({ requestId: "a", promptTokenIds: ids, sampling: GREEDY, maxTokens: 32, stopTokenIds: new Set([eos]) });
 * while (core.hasUnfinished()) for (const t of core.step()) emit(t);
 */
export class EngineCore {
  readonly config: EngineCoreConfig;
  readonly #memory: KvMemory;
  readonly #scheduler: Scheduler<RequestState>;
  readonly #runner: ModelRunner;
  /** A VLM's encoder stage and encoder-output cache; null for a text-only model. */
  readonly #mm: MultimodalStage | null;
  readonly #requests = new Map<string, RequestState>();
  /** The step queued ahead of the next `step()` call (asyncScheduling). */
  #inFlight: InFlightStep | null = null;
  #numLaunchedAhead = 0;
  readonly #masks = new GrammarBitmasks();
  /** Layers a group where a lone step's forward is queued in groups (`queueLayers`). */
  readonly #queueLayers: number;
  readonly #live = (state: RequestState): boolean => this.#requests.get(state.req.requestId) === state;

  constructor(
    readonly model: Model,
    config: Partial<EngineCoreConfig> & { maxModelLen: number },
    /** The vision side of a VLM (`model` is then its text decoder): requests may carry images and videos. */
    vision: MultimodalModel | null = null,
  ) {
    const cfg = (this.config = { ...DEFAULT_ENGINE_CORE_CONFIG, ...config });
    ({ memory: this.#memory, scheduler: this.#scheduler } = buildCoreMemory(model, cfg));
    this.#mm = vision ? new MultimodalStage(vision, new EncoderCache<EncoderOutput>(cfg.mmCacheBytes ?? DEFAULT_MM_CACHE_BYTES,
      { onEvict: disposeEncoderOutput })) : null;
    this.#runner = new ModelRunner(model, this.pool, this.#mm, cfg.padSteps ?? mx.gpuAvailable());
    this.#queueLayers = cfg.queueLayers ?? queueLayersFromEnv() ?? 1;
    // mlx-lm's wired limit on Metal (src/mlx/wired.ts); the memory active now is the loaded weights and the first KV.
    const wired = applyRecommendedWiredLimit(mx.getActiveMemory());
    if (wired.warning) console.warn(`vllm-mlx: ${wired.warning}`);
  }

  /**
   * Queues a request, with the grammar its tokens must follow if any (the core disposes it when the request
   * ends). Throws `RequestTooLargeError` (never fits the pool), `MaxModelLenError`, `InvalidRequestError`.
   */
  addRequest(req: EngineCoreRequest, grammar?: TokenGrammar): void {
    if (this.#requests.has(req.requestId)) throw new InvalidRequestError(`request ${req.requestId} already exists`);
    const state = new RequestState(req, grammar ?? null);
    const total = req.promptTokenIds.length + req.maxTokens;
    if (total > this.config.maxModelLen) {
      throw new MaxModelLenError(req.requestId, state.seq.id, total, this.config.maxModelLen, this.config.blockSize);
    }
    if (req.mm && req.mm.length > 0) {
      if (!this.#mm) throw new InvalidRequestError("this model takes text only: the request has images or videos");
      this.#mm.add(state.seq, req.promptTokenIds, req.mm);
    }
    this.#scheduler.add(state.seq);
    this.#requests.set(req.requestId, state);
  }

  /** Stops a request wherever it is and frees its blocks; unknown ids are ignored. */
  abortRequest(requestId: string): void {
    const state = this.#requests.get(requestId);
    if (!state) return;
    this.#scheduler.abort(state.seq.id);
    this.#requests.delete(requestId);
    this.#mm?.remove(state.seq);
    state.grammar?.dispose();
    if (this.#requests.size === 0) this.#dropInFlight(); // nothing left to report
  }

  /** Steps queued before the previous step's tokens were read (asyncScheduling). */
  get numLaunchedAhead(): number {
    return this.#numLaunchedAhead;
  }

  hasUnfinished(): boolean {
    return this.#inFlight !== null || this.#scheduler.hasUnfinished();
  }

  /**
   * One iteration: schedule and execute a step (unless the previous call queued it), then read its tokens and
   * update the requests from them. With asyncScheduling the step after it is scheduled and queued first, built
   * before these tokens were read (not after a step from idle of new prompts alone: onlyEndingPrompts).
   */
  step(): TokenOutput[] {
    try {
      const fromIdle = this.#inFlight === null;
      const current = this.#inFlight ?? this.#launch(null);
      this.#inFlight = null;
      if (!current) return [];
      const ahead = this.config.asyncScheduling && this.#canLaunchAhead() && !(fromIdle && onlyEndingPrompts(current));
      const next = ahead ? this.#launch(current) : null;
      if (next) this.#numLaunchedAhead++;
      this.#inFlight = next;
      try {
        return this.#updateFromOutput(current);
      } finally {
        if (next?.deferred) this.#sampleDeferred(next);
      }
    } catch (e) {
      if (e instanceof CoreStepError) throw e; // the core already dropped the requests it names; the rest go on
      // The scheduler holds placeholders of steps that will never be read: no request can go on.
      this.#dropInFlight();
      for (const id of [...this.#requests.keys()]) this.abortRequest(id);
      throw e;
    }
  }

  stats(): EngineCoreStats {
    return coreStats(this.#scheduler, this.#memory, this.#mm?.cache?.stats() ?? null);
  }

  /** The encoder-output cache's counters (null for a text-only model) and the items run through the tower. */
  encoderStats(): (EncoderCacheStats & { numEncoded: number }) | null {
    const mm = this.#mm;
    return mm?.cache ? { ...mm.cache.stats(), numEncoded: mm.numEncoded } : null;
  }

  /** The paged KV pool (it is reallocated as it grows and shrinks: borrow it, never keep it). */
  get pool(): PagedKvPool {
    return this.#memory.pool;
  }

  /**
   * Runs a decode step at each padded batch size up to maxNumSeqs, and at the contexts of the attention kernel's
   * variants (`--warmup`), so compiling backends compile before the first request. Only while no request was
   * added. Returns the sizes run.
   */
  warmup(): number[] {
    if (this.hasUnfinished() || this.#scheduler.blockManager.numUsedBlocks > 0) throw new InvalidRequestError("warm up before the first request");
    const { maxNumSeqs, maxModelLen } = this.config;
    return warmDecodeSteps(this.#runner, decodeBucketSizes(maxNumSeqs), kernelWarmContexts(maxModelLen));
  }

  /** Shrinks the KV pool to its initial size and empties MLX's buffer cache while idle; returns the bytes released. */
  releaseIdleMemory(): number {
    if (this.hasUnfinished()) return 0;
    return this.#memory.release(this.#scheduler.blockManager);
  }

  /** Frees the KV pool; the engine is unusable afterwards. */
  dispose(): void {
    this.#dropInFlight();
    for (const id of [...this.#requests.keys()]) this.abortRequest(id);
    this.#memory.dispose();
  }

  /**
   * Schedules a step and queues its forward and sample. With `prev` (a step queued but not read), decode inputs
   * that are still placeholders come from prev's device-side samples. Returns null when nothing was scheduled.
   */
  #launch(prev: InFlightStep | null): InFlightStep | null {
    this.#memory.limitGrowth(this.#scheduler.blockManager);
    const output = this.#scheduler.schedule();
    if (output.scheduled.length === 0) {
      this.#refuseUnderPressure();
      return null;
    }
    this.#memory.follow(this.#scheduler.blockManager);
    using decodeTokens = prev ? pendingDecodeTokens(output, prev) : null;
    // With nothing in flight the device idles until the forward is queued: queue it in groups of layers.
    const logits = this.#runner.execute(output, decodeTokens, prev ? 0 : this.#queueLayers);
    const emitting = output.scheduled.filter((e) => e.emitsToken).map((e) => e.seq);
    if (!logits) return { output, emitting, sample: null };
    // Each row's step: the placeholder this step settles.
    const rows = emitting.map((seq) => Object.assign(seq.samplingParams!.row, { step: seq.numOutputTokens - 1 }));
    const constrained = emitting.some((seq) => seq.samplingParams!.grammar !== null);
    if (constrained && prev) {
      // Launched ahead, constrained: the forward is queued now, the masked sample waits for prev's tokens.
      mx.asyncEval(logits, ...this.pool.arrays());
      return { output, emitting, sample: null, deferred: { logits, rows } };
    }
    try {
      const bitmask = constrained ? this.#bitmask(emitting, logits.shape[1]!) : null;
      return { output, emitting, sample: sampleAsync(logits, emitting.map((_, j) => j), rows, this.pool.arrays(), bitmask) };
    } finally {
      logits.dispose();
    }
  }

  /**
   * The overlap, as vLLM does it: step n+1's forward was queued before step n's tokens were read; reading them let
   * the grammars advance, and the masks for n+1 are computed here while the device still runs n+1's forward. The
   * masked sample is queued at once in an async_eval of its own: MLX signals an evaluation's arrays when all of it
   * is done, so a sample queued with step n+2's forward could only be read after it (H100: json_schema/free
   * 0.63-0.75 that way, 0.918 this way).
   */
  #sampleDeferred(step: InFlightStep): void {
    const { logits, rows } = step.deferred!;
    delete step.deferred;
    const t0 = performance.now();
    try {
      const bitmask = this.#bitmask(step.emitting, logits.shape[1]!);
      step.sample = sampleAsync(logits, step.emitting.map((_, j) => j), rows, [], bitmask);
    } finally {
      logits.dispose();
      this.#masks.recordSample(performance.now() - t0);
    }
  }

  /** The step's grammar bitmask: each live request's grammar (one aborted since the launch counts as none). */
  #bitmask(emitting: readonly Sequence<RequestState>[], V: number): Int32Array {
    return this.#masks.build(emitting.map(({ samplingParams: s }) => (this.#live(s!) ? s!.grammar : null)), V);
  }

  /** Host time spent computing grammar masks (for benchmarks): bitmasks built and their total milliseconds. */
  get maskStats(): MaskStats {
    return this.#masks.stats;
  }

  /** Whether the next step may be built before the current one's tokens are read: not while penalties count them. */
  #canLaunchAhead(): boolean {
    for (const state of this.#requests.values()) if (needsPenalties(state.req.sampling)) return false;
    return true;
  }

  /** Reads a launched step's tokens; the scheduler settles them and decides which requests end. */
  #updateFromOutput(step: InFlightStep): TokenOutput[] {
    if (!step.sample) {
      this.#scheduler.updateFromOutput(step.output, []);
      return [];
    }
    let sampled;
    try {
      sampled = readSample(step.sample);
    } finally {
      disposeSample(step.sample);
    }
    const finished = new Set(this.#scheduler.updateFromOutput(step.output, sampled.map((s) => s.token)));
    const results: TokenOutput[] = [];
    const rejected: string[] = [];
    step.emitting.forEach((seq, j) => {
      const state = seq.samplingParams!;
      if (!this.#live(state)) return; // aborted or ended since the launch
      if (state.grammar && !state.grammar.acceptToken(sampled[j]!.token)) {
        rejected.push(state.req.requestId); // the mask allowed it: a fault, not the client's
        return;
      }
      const reason = finished.has(seq) && seq.finishReason !== "abort" ? seq.finishReason : null;
      results.push(state.output(sampled[j]!, reason));
      if (reason) {
        this.#requests.delete(state.req.requestId);
        this.#mm?.remove(seq);
        state.grammar?.dispose();
      }
    });
    if (rejected.length > 0) {
      for (const id of rejected) this.abortRequest(id);
      throw new CoreStepError(rejected, "the output grammar rejected a token its mask allowed", results);
    }
    return results;
  }

  /** Refuses (a 503) the first waiting request when memory pressure leaves nothing schedulable (`stuckUnderPressure`). */
  #refuseUnderPressure(): void {
    const stuck = stuckUnderPressure(this.#scheduler, this.#memory);
    if (!stuck) return;
    this.abortRequest(stuck.id);
    throw new CoreStepError([stuck.id], stuck.reason, [], "capacity");
  }

  /** Disposes the queued step, `deferred` too: `step()` may still hold it (dropped mid-step by an abort). */
  #dropInFlight(): void {
    const step = this.#inFlight;
    this.#inFlight = null;
    if (step?.sample) disposeSample(step.sample);
    step?.deferred?.logits.dispose();
    delete step?.deferred;
  }
}
