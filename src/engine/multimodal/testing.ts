/**
 * Test helpers for the VLM engine tests: a prompt with its media items, the core request for it, the
 * single-sequence Qwen-VL run to compare against, and deterministic pixels.
 */
import * as mx from "../../mlx/index.ts";
import { disposePrepared, promptInputs, type VisionInput, type VlmModel } from "../../models/vision/vlm.ts";
import type { EngineCore, EngineCoreRequest, TokenOutput } from "../engine-core/engine-core.ts";
import { drain, expectSameTokens, solo, type Solo } from "../engine-core/testing.ts";
import { GREEDY } from "../sampling/params.ts";
import type { MultiModalItem } from "./mm-items.ts";

/** Greedy, with the chosen token's logprob and 2 alternatives (for the near-tie rule). */
export const MM_SAMPLING = { ...GREEDY, logprobs: true, topLogprobs: 2 };

/** Prompt token ids and the media items at their placeholder ranges. */
export interface MmPrompt {
  tokens: number[];
  items: MultiModalItem[];
}

/** `count` deterministic pixel values in [-1, 1). */
export function lcgPixels(count: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** The core request for `p`, greedy with logprobs, no stop tokens. */
export function mmRequest(requestId: string, p: MmPrompt, maxTokens: number): EngineCoreRequest {
  return { requestId, promptTokenIds: p.tokens, sampling: MM_SAMPLING, maxTokens, stopTokenIds: new Set(),
    ...(p.items.length > 0 ? { mm: p.items } : {}) };
}

/** The single-sequence Qwen-VL path: encode each item, `vlm.prepare`, then `generate()` on the merged prompt. */
export function soloQwenVl(vlm: VlmModel, p: MmPrompt, maxTokens: number): Solo {
  const inputs: VisionInput[] = p.items.map((it) => ({ kind: it.kind, grids: [it.gridThw!],
    pixels: mx.array(it.pixelValues.data, { dtype: "float32", shape: it.pixelValues.shape }) }));
  const encoded = inputs.map((i) => vlm.encode(i));
  const prepared = vlm.prepare(p.tokens, inputs, encoded);
  const out = solo(vlm.text, p.tokens, maxTokens, GREEDY, promptInputs(prepared));
  disposePrepared(prepared);
  for (const e of encoded) [e.features, ...e.deepstack].forEach((a) => a.dispose());
  for (const i of inputs) i.pixels.dispose();
  return out;
}

/**
 * Adds each prompt as request `r<i>`, steps the core until done, and checks each request's prompt count and
 * its tokens against its solo run (near-tie rule). Returns the outputs and the number of near-tie divergences.
 */
export function batchAgainstSolo(core: EngineCore, prompts: readonly MmPrompt[], maxTokens: number, soloRun: (p: MmPrompt) => Solo,
  label: string): { got: Map<string, TokenOutput[]>; divergences: number } {
  prompts.forEach((p, r) => core.addRequest(mmRequest(`r${r}`, p, maxTokens)));
  const got = drain(core);
  let divergences = 0;
  prompts.forEach((p, r) => {
    const out = got.get(`r${r}`)!;
    if (out[0]!.numPromptTokens !== p.tokens.length) throw new Error(`${label} r${r}: ${out[0]!.numPromptTokens} prompt tokens, want ${p.tokens.length}`);
    divergences += expectSameTokens(out.map((t) => t.token), soloRun(p), `${label} r${r}`);
  });
  return { got, divergences };
}
