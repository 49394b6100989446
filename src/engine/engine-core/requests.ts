/** A request's state inside the engine core: its sequence, its sampler row, and the outputs it reports. */
import { RequestTooLargeError, Sequence } from "../core/index.ts";
import type { SampledToken } from "../runner/sample-step.ts";
import { logprobsCount } from "../sampling/params.ts";
import type { SamplerRow } from "../sampling/sampler.ts";
import type { EngineCoreRequest, TokenOutput } from "./core-types.ts";
import type { TokenGrammar } from "../structured/token-grammar.ts";

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

/**
 * One request in the core. Its sequence carries it (`seq.samplingParams`), so a scheduled entry leads back here.
 *
 * @example
 * const state = new RequestState(req);
 * scheduler.add(state.seq);
 */
export class RequestState {
  readonly seq: Sequence<RequestState>;
  readonly row: SamplerRow & { outputCounts: Map<number, number> };
  /** Prompt tokens served from the prefix cache, as of the first output. */
  numCachedTokens = 0;
  #numOutputs = 0;

  constructor(
    readonly req: EngineCoreRequest,
    /** The request's output grammar; sampling masks every token it does not allow. */
    readonly grammar: TokenGrammar | null = null,
  ) {
    this.row = { params: req.sampling, outputCounts: new Map(), promptTokens: new Set(req.promptTokenIds), step: 0 };
    this.seq = new Sequence<RequestState>({
      promptTokenIds: req.promptTokenIds,
      maxTokens: req.maxTokens,
      stopTokenIds: req.stopTokenIds,
      samplingParams: this,
      ...(req.mm && req.mm.length > 0 ? { mmPlaceholders: req.mm } : {}),
    });
  }

  /** The output for sampled token `s`; `finishReason` as the scheduler decided it. */
  output(s: SampledToken, finishReason: TokenOutput["finishReason"]): TokenOutput {
    const { req } = this;
    if (this.#numOutputs++ === 0) this.numCachedTokens = this.seq.numCachedTokens;
    this.row.outputCounts.set(s.token, (this.row.outputCounts.get(s.token) ?? 0) + 1);
    const k = logprobsCount(req.sampling);
    return {
      requestId: req.requestId,
      token: s.token,
      logprob: k === null ? null : s.logprob,
      top: k === null || k === 0 ? null : (s.top?.slice(0, k) ?? null),
      finishReason,
      numPromptTokens: req.promptTokenIds.length,
      numCachedTokens: this.numCachedTokens,
    };
  }
}
