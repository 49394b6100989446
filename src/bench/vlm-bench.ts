/**
 * The VLM benchmark's loop: warm-up requests, then every case in order, each a fresh request (no cache
 * between them). A case that fails is recorded with its error and the run goes on.
 */
import { type BenchMedia, type CaseTiming, runVlmCase, type VlmSubject } from "./vlm-runner.ts";
import { syntheticFrames, syntheticImage, type VlmCase } from "./vlm-cases.ts";

export const IMAGE_QUESTION = "What is in this image? Describe it briefly.";
export const VIDEO_QUESTION = "Describe what happens in this video. What do you see?";

export interface VlmCaseResult {
  case: VlmCase;
  timing?: CaseTiming;
  error?: string;
}

export interface VlmBenchOptions {
  cases: readonly VlmCase[];
  maxTokens: number;
  /** Requests on the first case before measuring. */
  warmup: number;
  onCase?: (result: VlmCaseResult, index: number) => void;
}

/** The synthetic media of a case. */
export function caseMedia(c: VlmCase): BenchMedia {
  return c.kind === "image" ? { kind: "image", image: syntheticImage(c.width, c.height) } : { kind: "video", frames: syntheticFrames(c) };
}

/** A function that runs one request: {@link runVlmCase} on a loaded subject, or a stand-in in tests. */
export type CaseRunner = (media: BenchMedia, opts: { maxTokens: number; question: string }) => CaseTiming;

/** Runs a loaded subject through the cases. */
export function runVlmBenchmark(subject: VlmSubject, options: VlmBenchOptions): VlmCaseResult[] {
  return runCases((media, opts) => runVlmCase(subject, media, opts), options);
}

/**
 * The loop over any runner.
 *
 * @example
 *   runCases(runner, { cases: vlmCases({ video: false, quick: true }), maxTokens: 64, warmup: 1 });
 */
export function runCases(run: CaseRunner, options: VlmBenchOptions): VlmCaseResult[] {
  const question = (c: VlmCase) => (c.kind === "image" ? IMAGE_QUESTION : VIDEO_QUESTION);
  const first = options.cases[0];
  if (first) {
    const media = caseMedia(first);
    for (let i = 0; i < options.warmup; i++) run(media, { maxTokens: Math.min(options.maxTokens, 8), question: question(first) });
  }
  const results: VlmCaseResult[] = [];
  options.cases.forEach((c, i) => {
    let result: VlmCaseResult;
    try {
      result = { case: c, timing: run(caseMedia(c), { maxTokens: options.maxTokens, question: question(c) }) };
    } catch (error) {
      result = { case: c, error: error instanceof Error ? error.message : String(error) };
    }
    results.push(result);
    options.onCase?.(result, i);
  });
  return results;
}
