/**
 * Our side of the generation benchmark, in-process: loadModelDir + generate(), greedy, timed the way
 * mlx_lm.stream_generate times itself (see mlx_lm_gen.py), plus a profile of one decode step.
 */
import { native } from "../../src/mlx/ffi/library.ts";
import * as mx from "../../src/mlx/index.ts";
import { generate, prefill } from "../../src/engine/runner/generate.ts";
import { GREEDY } from "../../src/engine/sampling/params.ts";
import { sample } from "../../src/engine/sampling/sampler.ts";
import type { Model } from "../../src/models/decoder.ts";
import { loadModelDir } from "../../src/models/load.ts";

export interface RunResult {
  prompt_tokens: number;
  generation_tokens: number;
  prefill_s: number;
  decode_s: number;
  /** prompt tokens / (start -> first token available) */
  prompt_tps: number;
  /** generated tokens / (first token -> last token available), stream_generate's definition */
  generation_tps: number;
  tokens: number[];
}

export async function loadOurs(dir: string): Promise<Model> {
  const { model } = await loadModelDir(dir);
  return model;
}

/** One timed generation: prefill until the first token is available, then `maxTokens` tokens in all. */
export function runOurs(model: Model, prompt: readonly number[], maxTokens: number, prefillStepSize = 2048): RunResult {
  const tokens: number[] = [];
  let tic = performance.now();
  let prefillMs = 0;
  const opts = { maxTokens, sampling: GREEDY, stopTokenIds: new Set<number>(), prefillStepSize };
  for (const t of generate(model, prompt, opts)) {
    if (tokens.length === 0) {
      prefillMs = performance.now() - tic;
      tic = performance.now();
    }
    tokens.push(t.token);
  }
  const decodeMs = performance.now() - tic;
  return {
    prompt_tokens: prompt.length,
    generation_tokens: tokens.length,
    prefill_s: prefillMs / 1000,
    decode_s: decodeMs / 1000,
    prompt_tps: prompt.length / (prefillMs / 1000),
    generation_tps: tokens.length / (decodeMs / 1000),
    tokens,
  };
}

export interface StepProfile {
  /** Native (FFI) calls per decode step, by symbol, for the forward pass + sampler + async eval. */
  ffiCallsPerToken: number;
  topSymbols: [string, number][];
  /** Mean ms per decode step spent in JS building the graph (forward + sampler). */
  buildMs: number;
  /** Mean ms in asyncEval (submitting the graph). */
  submitMs: number;
  /** Mean ms waiting for the token (item()), with the next step already queued as generate() does. */
  waitMs: number;
  /** Mean ms per step, end to end. */
  stepMs: number;
}

/**
 * Counts the FFI calls of `fn` by wrapping every native symbol for its duration, by symbol into `counts` (a fresh map
 * unless given; a given one is updated live, so a caller can diff it around a part of `fn`).
 */
export function countCalls<T>(fn: () => T, counts = new Map<string, number>()): { result: T; counts: Map<string, number> } {
  const table = native() as unknown as Record<string, (...a: unknown[]) => unknown>;
  const saved = new Map<string, (...a: unknown[]) => unknown>();
  for (const name of Object.keys(table)) {
    const f = table[name]!;
    if (typeof f !== "function") continue;
    saved.set(name, f);
    table[name] = (...a: unknown[]) => {
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return f(...a);
    };
  }
  try {
    return { result: fn(), counts };
  } finally {
    for (const [name, f] of saved) table[name] = f;
  }
}

/** All the calls in a `countCalls` map. */
export const totalCalls = (counts: Map<string, number>): number => [...counts.values()].reduce((a, b) => a + b, 0);

/**
 * Profiles decode after a prefill of `prompt`: the same pipelined loop as generate() (queue step n+1, then
 * read token n), with each phase timed; one separate step is run with every FFI symbol counted.
 */
export function profileDecode(model: Model, prompt: readonly number[], steps: number): StepProfile {
  const caches = model.makeCache();
  const row = { params: GREEDY, outputCounts: new Map<number, number>(), promptTokens: new Set<number>(), step: 0 };
  const queue = (token: mx.Array) => {
    const t0 = performance.now();
    using input = mx.reshape(token, [1, 1]);
    using logits = model.forward(input, caches, { lastOnly: true });
    using flat = mx.reshape(logits, [1, logits.shape[2]!]);
    const r = sample(flat, [row]);
    const t1 = performance.now();
    mx.asyncEval(r.tokens);
    return { tokens: r.tokens, build: t1 - t0, submit: performance.now() - t1 };
  };
  try {
    let current: mx.Array;
    {
      using logits = prefill(model, prompt, caches, 2048);
      current = sample(logits, [row]).tokens;
    }
    mx.asyncEval(current);
    let build = 0, submit = 0, wait = 0;
    const start = performance.now();
    for (let n = 0; n < steps; n++) {
      const next = queue(current);
      build += next.build;
      submit += next.submit;
      const t = performance.now();
      current.item();
      wait += performance.now() - t;
      current.dispose();
      current = next.tokens;
    }
    const stepMs = (performance.now() - start) / steps;
    current.item();
    const { result, counts } = countCalls(() => queue(current));
    current.dispose();
    result.tokens.item();
    result.tokens.dispose();
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const topSymbols = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
    return { ffiCallsPerToken: total, topSymbols, buildMs: build / steps, submitMs: submit / steps, waitMs: wait / steps, stepMs };
  } finally {
    for (const c of caches) c.dispose();
  }
}
