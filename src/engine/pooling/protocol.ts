/**
 * The pooling engine's messages between the HTTP thread and its worker, and the surface the server's
 * `/v1/embeddings` and `/v1/rerank` routes call.
 */
import type { PoolingConfig, PoolingTask } from "../../models/pooling-config.ts";
import type { PoolerInput } from "../../models/pooling-model.ts";

export interface PoolingInit {
  type: "init";
  modelPath: string;
  libraryDir?: string;
  task?: PoolingTask;
  /** Most padded tokens (rows x longest row) one forward takes. */
  maxBatchTokens: number;
}

export type ToPoolingWorker =
  | PoolingInit
  | { type: "run"; requestId: string; inputs: PoolerInput[] }
  | { type: "abort"; requestId: string }
  | { type: "shutdown" };

/** What the HTTP thread learns once the model is loaded. */
export interface PoolingFacts {
  config: PoolingConfig;
  maxModelLen: number;
  dimensions: number;
}

/** Forwards run and inputs pooled so far: requests queued together share a forward. */
export interface PoolingStats {
  forwards: number;
  inputs: number;
  waiting: number;
}

export type FromPoolingWorker =
  | { type: "ready"; facts: PoolingFacts }
  | { type: "load-failed"; message: string }
  | { type: "result"; requestId: string; vectors: Float32Array[]; stats: PoolingStats }
  | { type: "failed"; requestIds: string[]; message: string; stats: PoolingStats }
  | { type: "closed" };

/** One embedding input: text, or token ids as given. */
export type EmbedInput = { kind: "text"; text: string } | { kind: "tokens"; tokenIds: number[] };

export interface EmbedResult {
  vectors: Float32Array[];
  promptTokens: number;
}

export interface ScoreResult {
  /** One relevance score per document, in the documents' order. */
  scores: number[];
  promptTokens: number;
}

/**
 * What the routes call. Both methods throw `InvalidRequestError` (400) for input the model cannot take.
 *
 * @example
 *   const { vectors } = await pooling.embed([{ kind: "text", text: "hi" }], signal);
 */
export interface PoolingService {
  /** The task of the served model; null until it is loaded. */
  readonly task: PoolingTask | null;
  /** Whether `dimensions` may shorten the vectors (Matryoshka). */
  readonly matryoshka: boolean;
  /** The full width of an embedding (0 before loading or for score models). */
  readonly dimensions: number;
  embed(inputs: readonly EmbedInput[], signal: AbortSignal): Promise<EmbedResult>;
  score(query: string, documents: readonly string[], signal: AbortSignal): Promise<ScoreResult>;
  stats(): PoolingStats;
}
