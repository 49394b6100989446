/**
 * Pooling models: one padded forward over a batch of inputs gives one vector per input. BERT encoders
 * pool mean or [CLS] (embeddings) or classify [CLS] (cross-encoders); decoders (Qwen3-Embedding,
 * Qwen3-Reranker) pool the last real token, or read its "yes"/"no" logits.
 */
import * as mx from "../mlx/index.ts";
import type { DecoderModel } from "./decoder.ts";
import type { BertModel } from "./bert.ts";
import type { PoolingConfig, PoolingType } from "./pooling-config.ts";

/** One input: token ids and, for BERT sentence pairs, their token types. */
export interface PoolerInput {
  tokenIds: readonly number[];
  tokenTypeIds?: readonly number[];
}

/**
 * What the pooling engine runs. `run` returns, per input, the embedding (`embed`) or a one-element
 * relevance score (`score`).
 */
export interface PoolingModel {
  readonly config: PoolingConfig;
  /** Longest input in tokens. */
  readonly maxModelLen: number;
  /** Width of an embedding (the hidden size), 1 for scores. */
  readonly dimensions: number;
  run(inputs: readonly PoolerInput[]): Float32Array[];
}

/** A right-padded batch: ids, token types, and where the real tokens are. */
export interface PaddedBatch {
  tokens: mx.Array; // int32 [B, L]
  tokenTypes: mx.Array; // int32 [B, L]
  valid: mx.Array; // bool [B, L]
  lengths: number[];
}

/**
 * Pads inputs on the right with `padId` to the longest one.
 *
 * @example
 *   using b = padBatch([{ tokenIds: [1, 2] }, { tokenIds: [3] }], 0); // tokens [[1, 2], [3, 0]]
 */
export function padBatch(inputs: readonly PoolerInput[], padId = 0): PaddedBatch & Disposable {
  const L = Math.max(1, ...inputs.map((i) => i.tokenIds.length));
  const B = inputs.length;
  const ids = new Int32Array(B * L).fill(padId);
  const types = new Int32Array(B * L);
  const valid = new Uint8Array(B * L);
  inputs.forEach((input, b) => {
    ids.set(input.tokenIds, b * L);
    if (input.tokenTypeIds) types.set(input.tokenTypeIds, b * L);
    valid.fill(1, b * L, b * L + input.tokenIds.length);
  });
  const batch = {
    tokens: mx.array(ids, { shape: [B, L], dtype: "int32" }),
    tokenTypes: mx.array(types, { shape: [B, L], dtype: "int32" }),
    valid: mx.array(valid, { shape: [B, L], dtype: "bool" }),
    lengths: inputs.map((i) => i.tokenIds.length),
    [Symbol.dispose]() {
      batch.tokens.dispose();
      batch.tokenTypes.dispose();
      batch.valid.dispose();
    },
  };
  return batch;
}

/** Hidden states [B, L, D] pooled to [B, D]. */
export function pool(hidden: mx.Array, batch: PaddedBatch, type: PoolingType): mx.Array {
  const [B, L, D] = hidden.shape as [number, number, number];
  if (type === "mean") {
    using w0 = mx.astype(batch.valid, hidden.dtype);
    using w = mx.reshape(w0, [B, L, 1]);
    using masked = mx.multiply(hidden, w);
    using total = mx.sum(masked, [1]);
    using count = mx.sum(w, [1]);
    using safe = mx.maximum(count, 1e-9);
    return mx.divide(total, safe);
  }
  const last = batch.lengths.map((n) => (type === "cls" ? 0 : Math.max(0, n - 1)));
  using idx0 = mx.array(last, { shape: [B, 1, 1], dtype: "int32" });
  using idx = mx.broadcastTo(idx0, [B, 1, D]);
  using picked = mx.takeAlongAxis(hidden, idx, 1);
  return mx.reshape(picked, [B, D]);
}

/** Rows divided by their L2 norm (at least 1e-12), as sentence-transformers' Normalize does. */
export function l2Normalize(x: mx.Array): mx.Array {
  using sq = mx.square(x);
  using ss = mx.sum(sq, [-1], true);
  using n = mx.sqrt(ss);
  using safe = mx.maximum(n, 1e-12);
  return mx.divide(x, safe);
}

/** [B, D] float -> one Float32Array per row. */
export function rows(x: mx.Array): Float32Array[] {
  using f = mx.astype(x, "float32");
  const [B, D] = f.shape as [number, number];
  const flat = f.toTypedArray() as Float32Array;
  return Array.from({ length: B }, (_, b) => flat.slice(b * D, (b + 1) * D));
}

/** A BERT embedder or cross-encoder. */
export class BertPooler implements PoolingModel {
  constructor(readonly config: PoolingConfig, readonly bert: BertModel) {}

  get maxModelLen(): number {
    return Math.min(this.bert.config.maxPositionEmbeddings, this.config.maxSeqLength ?? Infinity);
  }

  get dimensions(): number {
    return this.config.task === "embed" ? this.bert.config.hiddenSize : 1;
  }

  run(inputs: readonly PoolerInput[]): Float32Array[] {
    using batch = padBatch(inputs);
    using hidden = this.bert.forward(batch);
    if (this.config.task === "score") {
      using logits = this.bert.classify(hidden); // [B, labels]
      using score = classifierScore(logits);
      return rows(score);
    }
    using pooled = pool(hidden, batch, this.config.pooling);
    using out = this.config.normalize ? l2Normalize(pooled) : null;
    return rows(out ?? pooled);
  }
}

/** One label: sigmoid of its logit (sentence-transformers' CrossEncoder default). More: softmax, last label. */
function classifierScore(logits: mx.Array): mx.Array {
  const [B, n] = logits.shape as [number, number];
  if (n === 1) return mx.sigmoid(logits);
  using p = mx.softmax(logits, -1, true);
  return mx.slice(p, [0, n - 1], [B, n]);
}

/** A decoder embedder (last-token pooling) or yes/no reranker (Qwen3-Reranker). */
export class DecoderPooler implements PoolingModel {
  constructor(
    readonly config: PoolingConfig,
    readonly model: DecoderModel,
    /** [no, yes] token ids for the yes/no reranker. */
    readonly yesNo: { no: number; yes: number } | null,
    readonly padId: number,
  ) {}

  get maxModelLen(): number {
    return Math.min(this.model.spec.config.maxPositionEmbeddings, this.config.maxSeqLength ?? Infinity);
  }

  get dimensions(): number {
    return this.config.task === "embed" ? this.model.spec.config.hiddenSize : 1;
  }

  run(inputs: readonly PoolerInput[]): Float32Array[] {
    using batch = padBatch(inputs, this.padId);
    // Right padding under a causal mask: real tokens never see the padding after them.
    const caches = this.model.makeCache();
    try {
      using hidden = this.model.hiddenStates(batch.tokens, caches); // [B, L, D]
      using last = pool(hidden, batch, this.config.task === "embed" ? this.config.pooling : "last"); // [B, D]
      if (this.config.task === "embed") {
        using out = this.config.normalize ? l2Normalize(last) : null;
        return rows(out ?? last);
      }
      using score = this.#yesProbability(last);
      return rows(score);
    } finally {
      for (const c of caches) c.dispose();
    }
  }

  /** softmax([no, yes] logits)[yes], as Qwen3-Reranker's model card scores: [B, 1]. */
  #yesProbability(last: mx.Array): mx.Array {
    if (!this.yesNo) throw new Error("this model has no yes/no tokens to score with");
    using logits = this.model.logits(last); // [B, V]
    using ids = mx.array([this.yesNo.no, this.yesNo.yes], { dtype: "int32" });
    using pair0 = mx.take(logits, ids, 1); // [B, 2]
    using pair = mx.astype(pair0, "float32");
    using p = mx.softmax(pair, -1, true);
    const B = p.shape[0]!;
    return mx.slice(p, [0, 1], [B, 2]);
  }
}
