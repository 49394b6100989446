/**
 * The engine core: one `step()` is schedule -> run -> postprocess over a paged KV pool, for many requests at
 * once (continuous batching, chunked prefill, prefix caching, preemption by recompute, n choices by fork).
 */
import * as mx from "../../mlx/index.ts";
import { applyRecommendedWiredLimit } from "../../mlx/wired.ts";
import type { Model } from "../../models/decoder.ts";
import {
  createSchedulerConfig,
  InvalidRequestError,
  RequestTooLargeError,
  Scheduler,
  SchedulerError,
  type SchedulerOutput,
  Sequence,
} from "../core/index.ts";
import { CoreStepError, DEFAULT_ENGINE_CORE_CONFIG, type EngineCoreRequest, type EngineCoreStats, type TokenOutput } from "./core-types.ts";
import { KvMemory } from "../paged/kv-memory.ts";
import type { PagedKvPool } from "../paged/kv-pool.ts";
import { ModelRunner } from "../runner/model-runner.ts";
import { disposeSample, readSample, type SampledToken, sampleAsync } from "../runner/sample-step.ts";
import { needsPenalties, type SamplingParams } from "../sampling/params.ts";
import type { SampleResult, SamplerRow } from "../sampling/sampler.ts";

export { RequestTooLargeError, InvalidRequestError } from "../core/index.ts";
export { KvCacheTooSmallError } from "../paged/sizing.ts";

export interface EngineCoreConfig {
  /** Tokens per KV block (default 16). */
  blockSize: number;
  /** The KV budget in blocks; when unset, from kvCacheMemoryBytes or gpuMemoryUtilization. */
  numGpuBlocks?: number;
  /** The KV budget in bytes. */
  kvCacheMemoryBytes?: number;
  /** When no budget is given: the budget is at most this share of the memory free after loading (default 0.5). */
  gpuMemoryUtilization: number;
  /** Bytes the KV pool starts with; it grows on demand up to the budget (default 64 MiB). */
  initialKvBytes?: number;
  /** MLX's buffer cache limit in bytes (default: 10% of MLX's memory limit, at most 1 GiB on unified memory). */
  mlxCacheLimitBytes?: number;
  /** Memory free for the KV pool (default: the OS's available memory and MLX's headroom); tests inject it. */
  freeMemoryBytes?: () => number;
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  enablePrefixCaching: boolean;
  /** Most tokens (prompt plus output) one sequence may hold. */
  maxModelLen: number;
  /** Most prompt tokens one prefill chunk takes in a step (default: the step's token budget). */
  longPrefillTokenThreshold?: number;
  /** Most prompts prefilled (chunked) in one step (default: as many as the token budget allows). */
  maxNumPartialPrefills?: number;
  /**
   * Queue step n+1 before reading step n's tokens (vLLM's async scheduling): the next step's graph is built and
   * queued while the device still runs this one, its decode inputs taken from the device-side samples. Steps
   * that need the host to see the tokens first (forks for n > 1, penalties) run one at a time. Default true.
   */
  asyncScheduling: boolean;
}

export type { EngineCoreRequest, TokenOutput } from "./core-types.ts";

/** A request whose prompt plus maxTokens exceeds maxModelLen (a `RequestTooLargeError`: it can never run). */
export class MaxModelLenError extends RequestTooLargeError {
  override name = "MaxModelLenError";
  constructor(
    readonly requestId: string,
    seqId: number,
    numTokens: number,
    readonly maxModelLen: number,
    blockSize: number,
  ) {
    super(seqId, numTokens, Math.ceil(numTokens / blockSize), Math.ceil(maxModelLen / blockSize));
    this.message = `request ${requestId}: prompt plus maxTokens (${numTokens} tokens) exceeds maxModelLen ${maxModelLen}`;
  }
}

export { DEFAULT_ENGINE_CORE_CONFIG } from "./core-types.ts";

/** The token a sequence holds between a step's launch and the read of its sample. */
const PENDING_TOKEN = -1;

interface RequestState {
  req: EngineCoreRequest;
  n: number;
  /** Live sequences by choice index. */
  seqs: Map<number, Sequence<SeqState>>;
  /** Choices 1..n-1 are still to be forked from choice 0 once its prompt is computed. */
  forkPending: boolean;
  numCachedTokens: number;
}

/** Which logits row each sampler row reads; `main[j]` is emitting sequence j's row, `extra` the new choices. */
interface SamplerPlan {
  source: number[];
  rows: SamplerRow[];
  main: number[];
  extra: { owner: SeqState; rowIndex: number }[];
}

interface SeqState {
  request: RequestState;
  index: number;
  row: SamplerRow & { outputCounts: Map<number, number> };
}

/** A launched step: its forwards and sample are queued on the device; its tokens are not read yet. */
interface InFlightStep {
  output: SchedulerOutput<SeqState>;
  emitting: Sequence<SeqState>[];
  plan: SamplerPlan;
  /** Null when no entry emits a token. */
  sample: SampleResult | null;
}

/**
 * @example
 * const core = new EngineCore(model, { maxModelLen: 4096, numGpuBlocks: 1024 });
 * core.addRequest({ requestId: "a", promptTokenIds: ids, sampling: GREEDY, maxTokens: 32, stopTokenIds: new Set([eos]) });
 * while (core.hasUnfinished()) for (const t of core.step()) emit(t);
 */
export class EngineCore {
  readonly config: EngineCoreConfig;
  readonly #memory: KvMemory;
  readonly #scheduler: Scheduler<SeqState>;
  readonly #runner: ModelRunner;
  readonly #requests = new Map<string, RequestState>();
  /** The step queued ahead of the next `step()` call (asyncScheduling), already postprocessed with pending tokens. */
  #inFlight: InFlightStep | null = null;
  #numLaunchedAhead = 0;

  constructor(
    readonly model: Model,
    config: Partial<EngineCoreConfig> & { maxModelLen: number },
  ) {
    this.config = { ...DEFAULT_ENGINE_CORE_CONFIG, ...config };
    const c = model.spec.config;
    const base = { numLayers: model.layers.length, blockSize: this.config.blockSize, numKvHeads: c.numKeyValueHeads,
      headDim: c.headDim, dtype: activationDtype(model) };
    const cfg = this.config;
    this.#memory = new KvMemory(base, {
      ...(cfg.numGpuBlocks !== undefined ? { numGpuBlocks: cfg.numGpuBlocks } : {}),
      ...(cfg.kvCacheMemoryBytes !== undefined ? { kvCacheMemoryBytes: cfg.kvCacheMemoryBytes } : {}),
      ...(cfg.initialKvBytes !== undefined ? { initialBytes: cfg.initialKvBytes } : {}),
      ...(cfg.mlxCacheLimitBytes !== undefined ? { mlxCacheLimitBytes: cfg.mlxCacheLimitBytes } : {}),
      ...(cfg.freeMemoryBytes !== undefined ? { freeMemoryBytes: cfg.freeMemoryBytes } : {}),
      gpuMemoryUtilization: cfg.gpuMemoryUtilization,
      maxModelLen: cfg.maxModelLen,
      maxNumSeqs: cfg.maxNumSeqs,
    });
    const plan = this.#memory.plan;
    this.#scheduler = new Scheduler<SeqState>(
      createSchedulerConfig({ numBlocks: plan.numBlocks, initialBlocks: plan.initialBlocks, blockSize: cfg.blockSize,
        maxNumSeqs: cfg.maxNumSeqs, maxNumBatchedTokens: cfg.maxNumBatchedTokens, enablePrefixCaching: cfg.enablePrefixCaching,
        ...(cfg.longPrefillTokenThreshold !== undefined ? { longPrefillTokenThreshold: cfg.longPrefillTokenThreshold } : {}),
        ...(cfg.maxNumPartialPrefills !== undefined ? { maxNumPartialPrefills: cfg.maxNumPartialPrefills } : {}) }),
      { stopChecker: (seq, token) => seq.samplingParams!.request.req.stopTokenIds.has(token) },
    );
    this.#runner = new ModelRunner(model, this.pool);
    // mlx-lm's wired limit on Metal (src/mlx/wired.ts); the memory active now is the loaded weights and the first KV.
    const wired = applyRecommendedWiredLimit(mx.getActiveMemory());
    if (wired.warning) console.warn(`vllm-mlx: ${wired.warning}`);
  }

  /** Queues a request. Throws `RequestTooLargeError` (never fits the pool), `MaxModelLenError`, `InvalidRequestError`. */
  addRequest(req: EngineCoreRequest): void {
    if (this.#requests.has(req.requestId)) throw new InvalidRequestError(`request ${req.requestId} already exists`);
    const n = req.n ?? 1;
    if (!Number.isInteger(n) || n < 1) throw new InvalidRequestError(`n must be a positive integer, got ${n}`);
    const state: RequestState = { req, n, seqs: new Map(), forkPending: n > 1, numCachedTokens: 0 };
    const seq = this.#newSequence(state, 0, []);
    const total = req.promptTokenIds.length + req.maxTokens;
    if (total > this.config.maxModelLen) {
      throw new MaxModelLenError(req.requestId, seq.id, total, this.config.maxModelLen, this.config.blockSize);
    }
    this.#scheduler.add(seq);
    state.seqs.set(0, seq);
    this.#requests.set(req.requestId, state);
  }

  /** Stops a request wherever it is and frees its blocks; unknown ids are ignored. */
  abortRequest(requestId: string): void {
    const state = this.#requests.get(requestId);
    if (!state) return;
    for (const seq of state.seqs.values()) this.#scheduler.abort(seq.id);
    this.#requests.delete(requestId);
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
   * One iteration: schedule, run the forwards, sample, postprocess. Returns the tokens of one step. With
   * asyncScheduling the step after it is already queued on return, built before these tokens were read.
   */
  step(): TokenOutput[] {
    try {
      let current = this.#inFlight;
      this.#inFlight = null;
      if (!current) {
        current = this.#launch(null);
        if (!current) return [];
        this.#applyLaunched(current);
      }
      const next = this.config.asyncScheduling && this.#canLaunchAhead(current) ? this.#launch(current) : null;
      const results = this.#complete(current);
      if (next) {
        this.#numLaunchedAhead++;
        this.#applyLaunched(next);
        this.#inFlight = next;
      }
      return results;
    } catch (e) {
      if (e instanceof CoreStepError) throw e; // the core already dropped the requests it names; the rest go on
      // The scheduler holds pending tokens of steps that will never be read: no request can go on.
      this.#dropInFlight();
      for (const id of [...this.#requests.keys()]) this.abortRequest(id);
      throw e;
    }
  }

  stats(): EngineCoreStats {
    const s = this.#scheduler.stats();
    const bm = this.#scheduler.blockManager;
    return {
      running: s.numRunning,
      waiting: s.numWaiting,
      numBlocks: bm.numBlocks,
      usedBlocks: bm.numUsedBlocks,
      prefixCacheQueries: s.prefixCache.queries,
      prefixCacheHits: s.prefixCache.hits,
      numPreemptions: s.numPreemptions,
      ...this.#memory.stats(),
    };
  }

  /** The paged KV pool (it is reallocated as it grows and shrinks: borrow it, never keep it). */
  get pool(): PagedKvPool {
    return this.#memory.pool;
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
   * Schedules a step and queues its forwards and sample. With `prev` (a step queued but not read), decode
   * inputs that are still pending come from prev's device-side samples. Returns null when nothing was scheduled.
   * The step is not postprocessed here: the caller applies it (`#applyLaunched`) once prev's tokens are in.
   */
  #launch(prev: InFlightStep | null): InFlightStep | null {
    this.#memory.limitGrowth(this.#scheduler.blockManager);
    const output = this.#scheduler.schedule();
    if (output.scheduled.length === 0) {
      this.#refuseUnderPressure();
      return null;
    }
    this.#memory.follow(this.#scheduler.blockManager);
    using decodeTokens = prev ? this.#pendingDecodeTokens(output, prev) : null;
    const logits = this.#runner.execute(output, decodeTokens);
    if (!logits) return { output, emitting: [], plan: { source: [], rows: [], main: [], extra: [] }, sample: null };
    const emitting = output.scheduled.filter((e) => e.emitsToken).map((e) => e.seq);
    const plan = this.#samplerRows(emitting);
    try {
      return { output, emitting, plan, sample: sampleAsync(logits, plan.source, plan.rows, this.pool.arrays()) };
    } finally {
      logits.dispose();
    }
  }

  /** Postprocesses a launched step with pending tokens: KV positions advance, sequences hit maxTokens. */
  #applyLaunched(step: InFlightStep): void {
    this.#scheduler.postprocess(step.output, step.emitting.map(() => PENDING_TOKEN));
  }

  /**
   * Decode input ids `[D]` for `output`'s decode entries (scheduled order): the host id where it is known, else
   * the row of prev's device-side sample that produced it.
   */
  #pendingDecodeTokens(output: SchedulerOutput<SeqState>, prev: InFlightStep): mx.Array | null {
    const decodes = output.scheduled.filter((e) => !e.isPrefill);
    if (decodes.length === 0) return null;
    const rowOf = new Map<Sequence<SeqState>, number>();
    prev.emitting.forEach((seq, j) => rowOf.set(seq, prev.plan.main[j]!));
    const host: number[] = [];
    const rows: number[] = [];
    for (const e of decodes) {
      const id = e.seq.tokenIds[e.numComputedTokens]!;
      const row = id === PENDING_TOKEN ? rowOf.get(e.seq) : undefined;
      if (id === PENDING_TOKEN && row === undefined) {
        throw new SchedulerError(`sequence ${e.seq.id}: pending input token with no queued sample`);
      }
      host.push(id === PENDING_TOKEN ? 0 : id);
      rows.push(row ?? -1);
    }
    // A pending id always has a row (checked above), and a row implies prev has a sample.
    if (!prev.sample || rows.every((r) => r < 0)) return null;
    using hostIds = mx.array(host, { dtype: "int32" });
    using rowIdx = mx.array(rows.map((r) => Math.max(r, 0)), { dtype: "int32" });
    using pending = mx.array(rows.map((r) => (r >= 0 ? 1 : 0)), { dtype: "bool" });
    using fromDevice = mx.take(prev.sample.tokens, rowIdx, 0);
    using asInt = mx.astype(fromDevice, "int32");
    return mx.where(pending, asInt, hostIds);
  }

  /**
   * Whether the step after `current` may be built before current's tokens are read: not when they must reach
   * the host first (n > 1 forks from a first token; penalties count the latest output).
   */
  #canLaunchAhead(current: InFlightStep): boolean {
    if (current.plan.extra.length > 0) return false;
    for (const state of this.#requests.values()) if (needsPenalties(state.req.sampling)) return false;
    return true;
  }

  /** Reads a launched step's tokens, settles its pending tokens and stop conditions, and reports them. */
  #complete(step: InFlightStep): TokenOutput[] {
    if (!step.sample) return [];
    let sampled: SampledToken[];
    try {
      sampled = readSample(step.sample);
    } finally {
      disposeSample(step.sample);
    }
    return this.#postprocess(step.emitting, sampled, step.plan);
  }

  /**
   * Nothing could be scheduled although requests wait and none runs: with growth held back by memory pressure,
   * nothing will free blocks, so the first waiting request is refused (a 503) instead of waiting forever.
   */
  #refuseUnderPressure(): void {
    const bm = this.#scheduler.blockManager;
    const { numRunning, numWaiting } = this.#scheduler.stats();
    if (numWaiting === 0 || numRunning > 0 || !bm.growthLimited) return;
    const seq = this.#scheduler.waiting[0]!;
    this.#memory.limitGrowth(bm, true); // the memory may have come back since the last reading
    if (bm.canAllocate(seq)) return; // the next step admits it
    const id = seq.samplingParams!.request.req.requestId;
    this.abortRequest(id);
    throw new CoreStepError([id], `not enough free memory to grow the KV cache for this request ` +
      `(${((bm.numBackedBlocks * this.#memory.bytesPerBlock) / 2 ** 20).toFixed(0)} MiB held); retry later`, [], "capacity");
  }

  #dropInFlight(): void {
    if (this.#inFlight?.sample) disposeSample(this.#inFlight.sample);
    this.#inFlight = null;
  }

  /** Sampler rows for the emitting sequences; a first token of an n-choice request adds one row per extra choice. */
  #samplerRows(emitting: readonly Sequence<SeqState>[]): SamplerPlan {
    const plan: SamplerPlan = { source: [], rows: [], main: [], extra: [] };
    emitting.forEach((seq, i) => {
      const st = seq.samplingParams!;
      st.row.step = seq.numOutputTokens;
      plan.main.push(plan.rows.length);
      plan.source.push(i);
      plan.rows.push(st.row);
      if (st.index !== 0 || !st.request.forkPending) return;
      st.request.forkPending = false;
      for (let k = 1; k < st.request.n; k++) {
        const row = newRow(st.request.req, k);
        plan.extra.push({ owner: { request: st.request, index: k, row }, rowIndex: plan.rows.length });
        plan.source.push(i);
        plan.rows.push(row);
      }
    });
    return plan;
  }

  /**
   * Settles a read step: each emitting sequence's pending token becomes the sampled one; a stop token finishes
   * it (maxTokens already did at launch). Sequences finished or aborted since the launch are skipped.
   */
  #postprocess(emitting: readonly Sequence<SeqState>[], sampled: SampledToken[], plan: SamplerPlan): TokenOutput[] {
    const results: TokenOutput[] = [];
    emitting.forEach((seq, j) => {
      const st = seq.samplingParams!;
      if (st.request.seqs.get(st.index) !== seq || this.#requests.get(st.request.req.requestId) !== st.request) return;
      const s = sampled[plan.main[j]!]!;
      seq.settleLastToken(s.token);
      if (seq.numOutputTokens === 1 && st.index === 0) st.request.numCachedTokens = seq.numCachedTokens;
      const stop = st.request.req.stopTokenIds.has(s.token);
      if (stop) this.#scheduler.finish(seq.id, "stop");
      const reason = stop ? "stop" : seq.finishReason === "length" ? "length" : null;
      results.push(this.#emit(st, s, reason));
      st.row.outputCounts.set(s.token, (st.row.outputCounts.get(s.token) ?? 0) + 1);
      if (reason) st.request.seqs.delete(st.index);
    });
    for (const { owner, rowIndex } of plan.extra) results.push(this.#startChoice(owner, sampled[rowIndex]!));
    for (const seq of emitting) {
      const { request } = seq.samplingParams!;
      if (request.seqs.size === 0 && this.#requests.get(request.req.requestId) === request) {
        this.#requests.delete(request.req.requestId);
      }
    }
    return results;
  }

  /** Reports choice `o.index`'s first token and, unless that ends it, forks (or queues) its sequence. */
  #startChoice(o: SeqState, s: SampledToken): TokenOutput {
    const { req } = o.request;
    const reason = req.stopTokenIds.has(s.token) ? "stop" : req.maxTokens <= 1 ? "length" : null;
    const out = this.#emit(o, s, reason);
    if (reason) return out;
    o.row.outputCounts.set(s.token, 1);
    const child = this.#newSequence(o.request, o.index, [s.token], o.row);
    const parent = o.request.seqs.get(0);
    o.request.seqs.set(o.index, child);
    try {
      if (parent?.status !== "running") throw new SchedulerError("parent finished");
      this.#scheduler.fork(parent.id, child);
    } catch (e) {
      if (!(e instanceof SchedulerError)) throw e;
      this.#scheduler.add(child);
    }
    return out;
  }

  #emit(st: SeqState, s: SampledToken, finishReason: TokenOutput["finishReason"]): TokenOutput {
    const { req } = st.request;
    const k = req.sampling.logprobs;
    return {
      requestId: req.requestId,
      index: st.index,
      token: s.token,
      logprob: k === null ? null : s.logprob,
      top: k === null || k === 0 ? null : (s.top?.slice(0, k) ?? null),
      finishReason,
      numPromptTokens: req.promptTokenIds.length,
      numCachedTokens: st.request.numCachedTokens,
    };
  }

  #newSequence(request: RequestState, index: number, outputTokenIds: number[], row = newRow(request.req, index)) {
    const state: SeqState = { request, index, row };
    return new Sequence<SeqState>({
      promptTokenIds: request.req.promptTokenIds,
      outputTokenIds,
      maxTokens: request.req.maxTokens,
      samplingParams: state,
    });
  }
}

/** A sampler row for choice `index`; seeded requests get a distinct derived seed per choice (choice 0 keeps it). */
function newRow(req: EngineCoreRequest, index: number): SeqState["row"] {
  const seed = req.sampling.seed;
  const params = seed === null || index === 0 ? req.sampling : { ...req.sampling, seed: (seed + Math.imul(index, 0x9e3779b9)) >>> 0 };
  return { params, outputCounts: new Map(), promptTokens: new Set(req.promptTokenIds), step: 0 };
}

/** The dtype of the model's activations (logits of a one-token probe forward). */
function activationDtype(model: Model): mx.Dtype {
  const caches = model.makeCache();
  try {
    using tokens = mx.array([0], { dtype: "int32", shape: [1, 1] });
    using logits = model.forward(tokens, caches, { lastOnly: true });
    return logits.dtype;
  } finally {
    for (const c of caches) c.dispose();
  }
}
