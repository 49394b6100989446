/**
 * Start-up warm-up: one decode step at each padded batch size, so a backend that compiles kernels per shape
 * (MLX's CUDA backend) compiles them before the first request rather than during it.
 */
import { Sequence } from "../core/index.ts";
import { StepBuilder } from "../core/scheduler-output.ts";
import { paddedSize } from "../runner/inputs.ts";
import type { ModelRunner } from "../runner/model-runner.ts";
import { disposeSample, readSample, sampleAsync } from "../runner/sample-step.ts";
import { GREEDY } from "../sampling/params.ts";
import type { SamplerRow } from "../sampling/sampler.ts";
import { bitmaskWords } from "../sampling/token-bitmask.ts";

/** The padded decode batch sizes up to `maxNumSeqs`: 1, 2, 4, then multiples of 8. */
export function decodeBucketSizes(maxNumSeqs: number): number[] {
  const sizes: number[] = [];
  for (let n = 1; n <= maxNumSeqs; n++) if (paddedSize(n) === n) sizes.push(n);
  if (sizes.at(-1) !== paddedSize(maxNumSeqs)) sizes.push(paddedSize(maxNumSeqs));
  return sizes;
}

/**
 * Contexts (keys) that reach the paged-attention kernel's larger variants (ffi/src/paged_kernel.cpp walks 1,024
 * keys and more with 8 warps a row, 2,048 and more with 16), up to `maxModelLen`: one decode at each compiles them.
 */
export function kernelWarmContexts(maxModelLen: number): number[] {
  return [1024, 2048].filter((n) => n <= maxModelLen);
}

/**
 * Runs a decode step (forward, greedy sample, and the sample under a grammar mask) of each size in `sizes` over block 0 of the pool, then one
 * decode at each context in `contexts` (a block table of block 0 repeated). Only before the first request: it
 * writes one KV slot of block 0, which no sequence holds yet and any later one overwrites before it reads it.
 * Returns the sizes run.
 *
 * @example
 * warmDecodeSteps(runner, decodeBucketSizes(64), kernelWarmContexts(4096)); // [1, 2, 4, 8, 16, ..., 64]
 */
export function warmDecodeSteps(runner: ModelRunner, sizes: readonly number[], contexts: readonly number[] = []): number[] {
  for (const size of sizes) warmStep(runner, size, 2);
  for (const context of contexts) warmStep(runner, 1, context);
  return [...sizes];
}

/** `size` decodes, each of the token at position `context - 1` over a table of block 0. */
function warmStep(runner: ModelRunner, size: number, context: number): void {
  const blockSize = runner.pool.spec.blockSize;
  const step = new StepBuilder<unknown>(size, size);
  for (let i = 0; i < size; i++) {
    const seq = new Sequence({ promptTokenIds: new Array<number>(context).fill(0), maxTokens: 1 });
    seq.blockTable = new Array<number>(Math.ceil(context / blockSize)).fill(0);
    seq.numComputedTokens = context - 1; // decodes its last token
    step.add(seq, 1);
  }
  const logits = runner.execute(step.output());
  if (!logits) return;
  const rows: SamplerRow[] = Array.from({ length: size }, () => ({ params: GREEDY, outputCounts: new Map(), promptTokens: new Set(), step: 0 }));
  try {
    const sample = sampleAsync(logits, rows.map((_, j) => j), rows, runner.pool.arrays());
    readSample(sample);
    disposeSample(sample);
    // The grammar-masked sampler too (its bit test is a compiled kernel): an all-ones mask.
    const masked = sampleAsync(logits, rows.map((_, j) => j), rows, [], new Int32Array(size * bitmaskWords(logits.shape[1]!)).fill(-1));
    readSample(masked);
    disposeSample(masked);
  } finally {
    logits.dispose();
  }
}
