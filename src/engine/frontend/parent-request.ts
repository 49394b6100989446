/**
 * n > 1 as vLLM's `ParentRequest`: a request for n choices fans out into n core requests. Choice 0 goes first;
 * once its first token is out its prompt's full blocks are in the prefix cache, and choices 1..n-1 follow,
 * sharing those blocks and computing only the prompt's tail. The core never sees n.
 */
import type { EngineCoreRequest, TokenOutput } from "../engine-core/core-types.ts";
import { InvalidRequestError } from "../protocol.ts";

/** Seed of choice `index` of a request seeded with `seed`: choice 0 keeps it, the others differ reproducibly. */
export function choiceSeed(seed: number, index: number): number {
  return index === 0 ? seed : (seed + Math.imul(index, 0x9e3779b9)) >>> 0;
}

/**
 * @example
 * const parent = new ParentRequest(request, 3);
 * for (const child of parent.start()) core.addRequest(child);
 * // for each output of a child: const { index, release } = parent.route(output);
 * // add every request in `release` to the core, report the output as choice `index`.
 */
export class ParentRequest {
  readonly #childIds: string[];
  #released = false;

  constructor(
    readonly request: EngineCoreRequest,
    readonly n: number,
  ) {
    if (!Number.isInteger(n) || n < 1) throw new InvalidRequestError(`n must be a positive integer, got ${n}`);
    this.#childIds = Array.from({ length: n }, (_, i) => (n === 1 ? request.requestId : `${request.requestId}/${i}`));
  }

  /** The core request ids, choice by choice. */
  get childIds(): readonly string[] {
    return this.#childIds;
  }

  /** The requests to add now: choice 0 alone (the others follow its first token). */
  start(): EngineCoreRequest[] {
    return [this.#child(0)];
  }

  /** Choice index of a core request id, or -1 when it is not one of this parent's. */
  indexOf(childId: string): number {
    return this.#childIds.indexOf(childId);
  }

  /** For an output of one of the children: its choice index, and the choices to add now (once, after choice 0's first token). */
  route(output: TokenOutput): { index: number; release: EngineCoreRequest[] } {
    const index = this.indexOf(output.requestId);
    if (index !== 0 || this.#released) return { index, release: [] };
    this.#released = true;
    return { index, release: Array.from({ length: this.n - 1 }, (_, i) => this.#child(i + 1)) };
  }

  #child(index: number): EngineCoreRequest {
    const { sampling } = this.request;
    const seed = sampling.seed === undefined ? undefined : choiceSeed(sampling.seed, index);
    return { ...this.request, requestId: this.#childIds[index]!, sampling: seed === sampling.seed ? sampling : { ...sampling, seed } };
  }
}
