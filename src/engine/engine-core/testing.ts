/**
 * Test helpers for engine outputs against the single-sequence generator. Identity across batch sizes is checked
 * with the near-tie rule of FIELD-NOTES.md ("Batch invariance"): a first divergence from the solo run is
 * accepted only where the solo run's top-2 logprob gap is below {@link NEAR_TIE}.
 */
import type { Model, PromptInputs } from "../../models/decoder.ts";
import { generate } from "../runner/generate.ts";
import { GREEDY, type SamplingParams } from "../sampling/params.ts";
import type { EngineCore, TokenOutput } from "./engine-core.ts";

/** A divergence from the solo run is accepted only where the solo top-2 logprob gap is below this. */
export const NEAR_TIE = 1e-4;

/** One request run alone: its tokens, their logprobs and the top-2 gap at each position. */
export interface Solo {
  tokens: number[];
  gaps: number[];
  logprobs: number[];
}

/** Runs `ids` alone through `generate` (no stop tokens); `inputs` carry a VLM prompt's merged media. */
export function solo(model: Model, ids: number[], maxTokens: number, sampling: SamplingParams = GREEDY, inputs?: PromptInputs): Solo {
  const out: Solo = { tokens: [], gaps: [], logprobs: [] };
  const opts = { maxTokens, sampling: { ...sampling, logprobs: true, topLogprobs: 2 }, stopTokenIds: new Set<number>(), ...(inputs ? { inputs } : {}) };
  for (const t of generate(model, ids, opts)) {
    out.tokens.push(t.token);
    out.logprobs.push(t.logprob!);
    out.gaps.push(t.top![0]!.logprob - t.top![1]!.logprob);
  }
  return out;
}

/**
 * Token identity with the solo run, except that a first divergence is tolerated at a near-tie (solo top-2
 * logprob gap < NEAR_TIE); after it the contexts differ and nothing more is compared. Returns the divergences
 * (0 or 1); throws on any other difference.
 *
 * @example
 * expect(expectSameTokens(out.map((t) => t.token), solo(model, ids, 12), "r0")).toBe(0);
 */
export function expectSameTokens(got: readonly number[], want: Solo, label: string): number {
  if (got.length !== want.tokens.length) throw new Error(`${label}: ${got.length} tokens, solo ${want.tokens.length}`);
  const d = got.findIndex((t, i) => t !== want.tokens[i]);
  if (d < 0) return 0;
  if (!(want.gaps[d]! < NEAR_TIE)) throw new Error(`${label}: token ${d} differs (${got[d]} vs ${want.tokens[d]}), solo gap ${want.gaps[d]}`);
  return 1;
}

/** Steps `core` until it has no unfinished request; returns each request's outputs in order. */
export function drain(core: EngineCore, maxSteps = 2000): Map<string, TokenOutput[]> {
  const got = new Map<string, TokenOutput[]>();
  for (let i = 0; core.hasUnfinished(); i++) {
    if (i > maxSteps) throw new Error("engine did not finish");
    for (const t of core.step()) got.set(t.requestId, [...(got.get(t.requestId) ?? []), t]);
  }
  return got;
}
