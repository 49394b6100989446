/**
 * Single-sequence generation: chunked prefill, then decode with the next step queued (async eval) before
 * the current token is read. The batched engine must match this at one request.
 */
import * as mx from "../../mlx/index.ts";
import type { LayerCache } from "../../nn/cache.ts";
import type { Model, PromptInputs } from "../../models/decoder.ts";
import { needsPenalties, type SamplingParams } from "../sampling/params.ts";
import { sample, type SampleResult, type SamplerRow } from "../sampling/sampler.ts";

export interface GenerateOptions {
  maxTokens: number;
  sampling: SamplingParams;
  /** Generation stops after emitting one of these (the token is reported with finishReason "stop"). */
  stopTokenIds: ReadonlySet<number>;
  /** Prompt tokens per prefill forward pass. */
  prefillStepSize?: number;
  signal?: AbortSignal;
  /** A prompt that is more than its tokens (a VLM's; see {@link PromptInputs}). */
  inputs?: PromptInputs;
}

function forwardChunk(model: Model, chunk: mx.Array, caches: readonly LayerCache[], start: number, inputs?: PromptInputs): mx.Array {
  if (!inputs) return model.forward(chunk, caches, { lastOnly: true });
  const opts = inputs.prefill(start, start + chunk.shape[1]!);
  try {
    return model.forward(chunk, caches, { ...opts, lastOnly: true });
  } finally {
    opts.inputEmbeds?.dispose();
    if (opts.positions && "ids" in opts.positions) opts.positions.ids.dispose();
    for (const d of opts.deepstack ?? []) d.dispose();
  }
}

export interface GeneratedToken {
  token: number;
  /** Set on the last token. */
  finishReason: "stop" | "length" | null;
  logprob: number | null;
  top: { token: number; logprob: number }[] | null;
}

/** Runs the prompt through the model in chunks; returns the last position's logits [1, V]. */
export function prefill(model: Model, prompt: readonly number[], caches: readonly LayerCache[], stepSize = 512,
  inputs?: PromptInputs): mx.Array {
  if (prompt.length === 0) throw new RangeError("prompt must hold at least one token");
  let start = 0;
  while (prompt.length - start > stepSize) {
    using chunk = mx.array(prompt.slice(start, start + stepSize), { dtype: "int32", shape: [1, stepSize] });
    using logits = forwardChunk(model, chunk, caches, start, inputs);
    logits.eval();
    start += stepSize;
  }
  const rest = prompt.slice(start);
  using chunk = mx.array(rest, { dtype: "int32", shape: [1, rest.length] });
  using logits = forwardChunk(model, chunk, caches, start, inputs);
  return mx.reshape(logits, [1, logits.shape[2]!]);
}

function readToken(r: SampleResult): Omit<GeneratedToken, "finishReason"> {
  const token = r.tokens.item();
  const logprob = r.logprobs ? r.logprobs.item() : null;
  let top: GeneratedToken["top"] = null;
  if (r.topIds && r.topLogprobs) {
    const ids = r.topIds.toList();
    const lps = r.topLogprobs.toList();
    top = ids.map((t, i) => ({ token: t, logprob: lps[i]! }));
  }
  return { token, logprob, top };
}

function disposeResult(r: SampleResult): void {
  r.tokens.dispose();
  r.logprobs?.dispose();
  r.topIds?.dispose();
  r.topLogprobs?.dispose();
}

/**
 * Generates tokens for one prompt.
 *
 * @example
 *   for (const t of generate(model, [1, 2, 3], { maxTokens: 8, sampling: GREEDY, stopTokenIds: new Set([2]) })) {}
 */
export function* generate(model: Model, prompt: readonly number[], opts: GenerateOptions): Generator<GeneratedToken> {
  const caches = model.makeCache();
  const row: SamplerRow & { outputCounts: Map<number, number> } = {
    params: opts.sampling,
    outputCounts: new Map(),
    promptTokens: new Set(prompt),
    step: 0,
  };
  // With penalties, the next step depends on host-side counts: no pipelining.
  const pipelined = !needsPenalties(opts.sampling);
  // The step queued ahead of the one being read; disposed however the consumer leaves.
  let next: SampleResult | null = null;
  try {
    let current: SampleResult;
    {
      using logits = prefill(model, prompt, caches, opts.prefillStepSize, opts.inputs);
      current = sample(logits, [row]);
    }
    mx.asyncEval(current.tokens);
    for (let n = 1; ; n++) {
      next = pipelined && n < opts.maxTokens ? step(model, caches, current.tokens, row, n, opts.inputs) : null;
      const out = readToken(current);
      disposeResult(current);
      row.outputCounts.set(out.token, (row.outputCounts.get(out.token) ?? 0) + 1);
      const finishReason = opts.stopTokenIds.has(out.token) ? "stop" : n >= opts.maxTokens ? "length" : null;
      yield { ...out, finishReason };
      if (finishReason || opts.signal?.aborted) return;
      if (!next) {
        using t = mx.array([out.token], { dtype: "int32" });
        next = step(model, caches, t, row, n, opts.inputs);
      }
      current = next;
      next = null;
    }
  } finally {
    if (next) disposeResult(next);
    for (const c of caches) c.dispose();
  }
}

/** Queues one decode step on `token` ([1] int32) and returns its (lazy) sample. */
function step(model: Model, caches: readonly LayerCache[], token: mx.Array, row: SamplerRow & { step: number }, n: number,
  inputs?: PromptInputs): SampleResult {
  using input = mx.reshape(token, [1, 1]);
  using logits = model.forward(input, caches, { ...inputs?.decode, lastOnly: true });
  using flat = mx.reshape(logits, [1, logits.shape[2]!]);
  row.step = n;
  const r = sample(flat, [row]);
  mx.asyncEval(r.tokens);
  return r;
}
