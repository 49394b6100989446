/**
 * An engine core on top of the single-sequence `generate()`: each step advances one sequence by one token,
 * taking the running sequences in turn (round robin), so concurrent requests share the model fairly.
 * Requests wait in FIFO order until one of `maxNumSeqs` running slots is free. Each sequence owns a
 * contiguous KV cache; there is no prefix cache and no preemption.
 */
import type { Model } from "../models/decoder.ts";
import { CoreStepError, type EngineCoreLike, type EngineCoreRequest, type EngineCoreStats, type TokenOutput } from "./core-types.ts";
import { type GeneratedToken, generate } from "./generate.ts";

export interface SerialCoreOptions {
  /** Sequences running (holding a KV cache) at once (default 8). */
  maxNumSeqs?: number;
  /** Prompt tokens per prefill forward pass (default 512). */
  prefillStepSize?: number;
}

interface SerialSequence {
  request: EngineCoreRequest;
  index: number;
  tokens: Generator<GeneratedToken> | null;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * A FIFO, round-robin core that runs one sequence per step.
 *
 * @example
 *   const core = new SerialEngineCore(model, { maxNumSeqs: 4 });
 *   core.addRequest({ requestId: "a", promptTokenIds: [1, 2, 3], sampling: GREEDY, maxTokens: 4, stopTokenIds: new Set() });
 *   while (core.hasUnfinished()) core.step();
 */
export class SerialEngineCore implements EngineCoreLike {
  readonly #model: Model;
  readonly #maxNumSeqs: number;
  readonly #prefillStepSize: number;
  readonly #waiting: SerialSequence[] = [];
  readonly #running: SerialSequence[] = [];
  #next = 0;

  constructor(model: Model, options: SerialCoreOptions = {}) {
    this.#model = model;
    this.#maxNumSeqs = Math.max(1, options.maxNumSeqs ?? 8);
    this.#prefillStepSize = options.prefillStepSize ?? 512;
  }

  addRequest(req: EngineCoreRequest): void {
    if (req.promptTokenIds.length === 0) throw new RangeError(`request ${req.requestId}: empty prompt`);
    const n = Math.max(1, req.n ?? 1);
    for (let index = 0; index < n; index++) this.#waiting.push({ request: req, index, tokens: null });
  }

  abortRequest(requestId: string): void {
    for (const list of [this.#waiting, this.#running]) {
      for (let i = list.length - 1; i >= 0; i--) {
        const seq = list[i]!;
        if (seq.request.requestId !== requestId) continue;
        list.splice(i, 1);
        seq.tokens?.return(undefined);
      }
    }
  }

  hasUnfinished(): boolean {
    return this.#waiting.length + this.#running.length > 0;
  }

  stats(): EngineCoreStats {
    return {
      running: this.#running.length,
      waiting: this.#waiting.length,
      numBlocks: 0,
      usedBlocks: 0,
      prefixCacheQueries: 0,
      prefixCacheHits: 0,
      numPreemptions: 0,
    };
  }

  step(): TokenOutput[] {
    while (this.#running.length < this.#maxNumSeqs && this.#waiting.length > 0) this.#running.push(this.#waiting.shift()!);
    if (this.#running.length === 0) return [];
    if (this.#next >= this.#running.length) this.#next = 0;
    const seq = this.#running[this.#next]!;
    let produced: IteratorResult<GeneratedToken>;
    try {
      seq.tokens ??= this.#start(seq);
      produced = seq.tokens.next();
    } catch (e) {
      this.abortRequest(seq.request.requestId);
      throw new CoreStepError([seq.request.requestId], errorMessage(e));
    }
    if (produced.done || produced.value.finishReason !== null) {
      this.#running.splice(this.#next, 1);
      seq.tokens.return(undefined);
    } else {
      this.#next++;
    }
    if (produced.done) return [];
    const t = produced.value;
    return [{
      requestId: seq.request.requestId,
      index: seq.index,
      token: t.token,
      logprob: t.logprob,
      top: t.top,
      finishReason: t.finishReason,
      numPromptTokens: seq.request.promptTokenIds.length,
      numCachedTokens: 0,
    }];
  }

  #start(seq: SerialSequence): Generator<GeneratedToken> {
    const { request, index } = seq;
    const seed = request.sampling.seed;
    const sampling = seed !== null && index > 0 ? { ...request.sampling, seed: seed + index } : request.sampling;
    return generate(this.#model, request.promptTokenIds, {
      maxTokens: request.maxTokens,
      sampling,
      stopTokenIds: request.stopTokenIds,
      prefillStepSize: this.#prefillStepSize,
    });
  }
}
