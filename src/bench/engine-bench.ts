/**
 * The in-process benchmark (`vllm-mlx bench <model>`): requests go straight to an {@link Engine}, no HTTP.
 */
import type { Engine, GenerateRequest } from "../engine/protocol.ts";
import { runLoad } from "./load.ts";
import { type RequestRecord, type RunSummary, summarizeRun } from "./metrics.ts";

/** Prompts cycled through by the in-process benchmark (varied lengths and topics). */
export const BENCH_PROMPTS: readonly string[] = [
  "Explain how a transformer language model generates text, step by step.",
  "Write a short story about a lighthouse keeper who finds a message in a bottle.",
  "What are the main differences between TCP and UDP? Give examples of when to use each.",
  "Summarize the causes and consequences of the industrial revolution in a few paragraphs.",
  "Describe three sorting algorithms and compare their time complexity.",
  "Give a recipe for a simple vegetable soup and explain each step.",
  "What is the capital of France, and what is it famous for?",
  "Write a haiku about the ocean, then explain the imagery you chose.",
];

export interface EngineBenchOptions {
  numPrompts: number;
  maxTokens: number;
  temperature: number;
  /** Requests run (and discarded) before measuring. */
  warmup: number;
  concurrency: number;
  prompts?: readonly string[];
  onProgress?: (finished: number, total: number) => void;
}

export interface EngineBenchResult {
  records: RequestRecord[];
  summary: RunSummary;
}

/** The request for the i-th benchmark prompt. */
export function benchRequest(i: number, options: EngineBenchOptions, tag: string): GenerateRequest {
  const prompts = options.prompts ?? BENCH_PROMPTS;
  return {
    kind: "chat",
    requestId: `bench-${tag}-${i}`,
    messages: [{ role: "user", content: prompts[i % prompts.length] as string }],
    sampling: { maxTokens: options.maxTokens, temperature: options.temperature, presencePenalty: 0,
      frequencyPenalty: 0, logitBias: {}, stop: [], n: 1, logprobs: false, topLogprobs: 0 },
  };
}

/**
 * Runs one request through the engine and records its timestamps; failures become `ok: false` records.
 */
export async function timeEngineRequest(engine: Engine, request: GenerateRequest): Promise<RequestRecord> {
  const record: RequestRecord = { startMs: performance.now(), chunkTimesMs: [], endMs: 0, promptTokens: 0,
    outputTokens: 0, ok: false };
  try {
    for await (const event of engine.submit(request, new AbortController().signal)) {
      if (event.type === "start") record.promptTokens = event.promptTokens;
      else if (event.type === "delta" && event.tokenIds.length > 0) record.chunkTimesMs.push(performance.now());
      else if (event.type === "usage") {
        record.promptTokens = event.promptTokens;
        record.outputTokens = event.completionTokens;
        record.ok = true;
      }
    }
    if (!record.ok) record.error = "the engine ended without a usage event";
  } catch (error) {
    record.error = error instanceof Error ? error.message : String(error);
  }
  record.endMs = performance.now();
  return record;
}

/**
 * Warms up, then runs `numPrompts` requests at `concurrency` and summarizes them.
 *
 * @example
 *   const { summary } = await runEngineBenchmark(engine, { numPrompts: 5, maxTokens: 128, temperature: 0,
 *                                                          warmup: 1, concurrency: 1 });
 */
export async function runEngineBenchmark(engine: Engine, options: EngineBenchOptions): Promise<EngineBenchResult> {
  for (let i = 0; i < options.warmup; i++) {
    const warm = await timeEngineRequest(engine, benchRequest(i, options, "warmup"));
    if (!warm.ok) throw new EngineBenchError(`warm-up request failed: ${warm.error}`);
  }
  const indices = Array.from({ length: options.numPrompts }, (_, i) => i);
  const started = performance.now();
  const records = await runLoad(indices, { kind: "concurrency", concurrency: options.concurrency },
    (i) => timeEngineRequest(engine, benchRequest(i, options, "run")),
    { onDone: (finished) => options.onProgress?.(finished, options.numPrompts) });
  const durationS = (performance.now() - started) / 1000;
  return { records, summary: summarizeRun(records, durationS) };
}

/** The benchmark could not run (e.g. the warm-up failed). */
export class EngineBenchError extends Error {
  override readonly name = "EngineBenchError";
}
