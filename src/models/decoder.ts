/**
 * The decoder-only transformer every family shares. A family file turns its config into a
 * `DecoderSpec` (what differs: norms, activation, scaling, per-layer attention) and this file runs it.
 */
import * as mx from "../mlx/index.ts";
import { Attention, suffix, type AttentionSpec, type RopePositions } from "../nn/attention.ts";
import { KVCache, type LayerCache } from "../nn/cache.ts";
import { Embedding, loadLinear, type Projection } from "../nn/linear.ts";
import { GatedMLP, type Activation } from "../nn/mlp.ts";
import { RMSNorm } from "../nn/norm.ts";
import type { RoPE } from "../nn/rope.ts";
import type { WeightStore } from "../nn/weights.ts";
import type { BaseConfig } from "./config.ts";
import { queueAfterLayer } from "./queue.ts";

export interface LayerSpec {
  attention: AttentionSpec;
  rope: RoPE;
}

export interface DecoderSpec {
  config: BaseConfig;
  /** "pre_norm": x + attn(norm(x)), then x + mlp(norm(x)) (Llama). "sandwich": Gemma's four norms per block. */
  blockStyle: "pre_norm" | "sandwich";
  /** Gemma's RMSNorm multiplies by (1 + w). */
  normOffsetOne: boolean;
  activation: Activation;
  /** Multiplies the embeddings (Gemma: sqrt(hidden), rounded as the family does). */
  embedScale: number | null;
  /** Gemma 2's tanh soft-capping of the final logits. */
  finalSoftcap: number | null;
  layers: LayerSpec[];
}

export interface ForwardOptions {
  /**
   * Compute logits for the last position only ([B, 1, V]): what generation needs. With caches that take
   * suffix queries, the last layer also runs its queries, output projection and MLP on that position alone.
   */
  lastOnly?: boolean;
  /**
   * Compute logits only for these rows (int32 `[R]`) of a flattened batch (tokens `[T, 1]`, one token a row):
   * `[R, 1, V]`. The engine's mixed steps ask for each sampling sequence's last token.
   */
  logitsRows?: mx.Array;
  /**
   * Input embeddings `[B, L, D]` used instead of embedding `tokens` (a VLM's prompt: token embeddings with
   * image and video features at their placeholder positions). `tokens` still gives the shape.
   */
  inputEmbeds?: mx.Array;
  /** Explicit RoPE positions (M-RoPE's `[3, B, L]`), or a shift of the cache offset (a VLM's rope delta). */
  positions?: RopePositions;
  /**
   * Qwen3-VL's deepstack: `deepstack[i]` (`[B, L, D]`, zero outside visual tokens) is added to the hidden
   * states after layer i.
   */
  deepstack?: readonly mx.Array[];
  /**
   * Queue (`async_eval`) the hidden states after every this many layers, so that the device starts on a step's first
   * layers while the host still builds the rest: a lone step (a prefix hit's, say) otherwise waits for its whole graph.
   */
  queueEvery?: number;
}

/**
 * Forward options for a prompt whose embeddings or positions are not the plain ones: a VLM's merged image
 * features and M-RoPE positions for each prefill chunk `[start, end)` (arrays the caller disposes after the
 * chunk), and the options of every decode step (the rope delta).
 */
export interface PromptInputs {
  prefill(start: number, end: number): ForwardOptions;
  decode: ForwardOptions;
}

/** The surface every model has. */
export interface Model {
  readonly spec: DecoderSpec;
  readonly layers: readonly DecoderLayer[];
  /** tokens: int32 [B, L] -> logits [B, L, vocab] (or [B, 1, vocab] with lastOnly) */
  forward(tokens: mx.Array, caches: readonly LayerCache[], opts?: ForwardOptions): mx.Array;
  makeCache(): KVCache[];
}

export class DecoderLayer {
  constructor(
    readonly attention: Attention,
    readonly mlp: GatedMLP,
    readonly norms: RMSNorm[],
    readonly style: DecoderSpec["blockStyle"],
  ) {}

  /**
   * x: [B, L, D] -> [B, L, D]; with `lastOnly`, [B, 1, D]: every position's keys and values are cached, but
   * attention's queries, the output projection and the MLP run on the last position alone.
   */
  forward(x: mx.Array, cache: LayerCache, positions?: RopePositions, lastOnly = false): mx.Array {
    using xLast = lastOnly ? suffix(x, x.shape[1]! - 1, 1) : null;
    const residual = xLast ?? x;
    if (this.style === "pre_norm") {
      const [inputNorm, postAttnNorm] = this.norms as [RMSNorm, RMSNorm];
      using r1 = this.attention.forwardNormed(x, inputNorm, cache, positions, lastOnly);
      return this.mlp.residual(residual, r1, { pre: postAttnNorm });
    }
    const [inputNorm, postAttnNorm, preFfNorm, postFfNorm] = this.norms as [RMSNorm, RMSNorm, RMSNorm, RMSNorm];
    using r1 = this.attention.forwardNormed(x, inputNorm, cache, positions, lastOnly);
    return this.mlp.residual(residual, r1, { after: postAttnNorm, pre: preFfNorm, post: postFfNorm });
  }
}

const NORMS = {
  pre_norm: ["input_layernorm", "post_attention_layernorm"],
  sandwich: ["input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm"],
} as const;

export class DecoderModel implements Model {
  private constructor(
    readonly spec: DecoderSpec,
    readonly embed: Embedding,
    readonly layers: DecoderLayer[],
    readonly norm: RMSNorm,
    readonly lmHead: Projection | null,
  ) {}

  /** Builds the model from `store` (HF names under `model.`), consuming every tensor. */
  static load(store: WeightStore, spec: DecoderSpec): DecoderModel {
    const c = spec.config;
    const eps = c.rmsNormEps;
    const embed = Embedding.load(store, "model.embed_tokens", c.vocabSize, c.hiddenSize);
    const layers = spec.layers.map((ls, i) => {
      const p = `model.layers.${i}`;
      const attention = Attention.load(store, `${p}.self_attn`, ls.attention, ls.rope);
      const mlp = GatedMLP.load(store, `${p}.mlp`, c.hiddenSize, c.intermediateSize, spec.activation, c.mlpBias);
      const norms = NORMS[spec.blockStyle].map((n) => RMSNorm.load(store, `${p}.${n}`, c.hiddenSize, eps, spec.normOffsetOne));
      return new DecoderLayer(attention, mlp, norms, spec.blockStyle);
    });
    const norm = RMSNorm.load(store, "model.norm", c.hiddenSize, eps, spec.normOffsetOne);
    const lmHead = c.tieWordEmbeddings ? null : loadLinear(store, "lm_head", c.hiddenSize, c.vocabSize, false);
    store.finish();
    return new DecoderModel(spec, embed, layers, norm, lmHead);
  }

  forward(tokens: mx.Array, caches: readonly LayerCache[], opts: ForwardOptions = {}): mx.Array {
    let h = this.#trunk(tokens, caches, opts);
    if (opts.logitsRows) h = consume(h, mx.take(h, opts.logitsRows, 0));
    if (opts.lastOnly && h.shape[1]! > 1) {
      const [B, L, D] = h.shape as [number, number, number];
      h = consume(h, mx.slice(h, [0, L - 1, 0], [B, L, D]));
    }
    h = consume(h, this.norm.forward(h));
    const logits = this.logits(h);
    h.dispose();
    return logits;
  }

  /** tokens: int32 [B, L] -> final-normed hidden states [B, L, D] (what embedding models pool). */
  hiddenStates(tokens: mx.Array, caches: readonly LayerCache[]): mx.Array {
    using h = this.#trunk(tokens, caches);
    return this.norm.forward(h);
  }

  /** Final-normed hidden states [.., D] -> logits [.., vocab] (output head and soft-capping). */
  logits(h: mx.Array): mx.Array {
    let logits = this.lmHead ? this.lmHead.forward(h) : this.embed.asLinear(h);
    const cap = this.spec.finalSoftcap;
    if (cap !== null) {
      using a = mx.divide(logits, cap);
      using t = mx.tanh(a);
      logits = consume(logits, mx.multiply(t, cap));
    }
    return logits;
  }

  /** Embeddings and every layer, before the final norm: [B, L, D]. */
  #trunk(tokens: mx.Array, caches: readonly LayerCache[], opts: ForwardOptions = {}): mx.Array {
    if (caches.length !== this.layers.length) {
      throw new RangeError(`expected ${this.layers.length} layer caches, got ${caches.length}`);
    }
    let h = opts.inputEmbeds ? mx.contiguous(opts.inputEmbeds) : this.embed.forward(tokens); // [B, L, D]
    if (this.spec.embedScale !== null) h = consume(h, mx.multiply(h, this.spec.embedScale));
    const { positions, deepstack, queueEvery = 0 } = opts;
    const last = this.layers.length - 1;
    // Only the last position leaves the trunk: the last layer queries it alone (mlx-lm's prefill gets the same
    // by evaluating only the caches of all but its last token).
    const lastOnly = opts.lastOnly === true && !opts.logitsRows && h.shape[1]! > 1 && !deepstack?.[last] &&
      caches[last]!.suffixQueries === true;
    for (let i = 0; i < this.layers.length; i++) {
      h = consume(h, this.layers[i]!.forward(h, caches[i]!, positions, lastOnly && i === last));
      const extra = deepstack?.[i];
      if (extra) h = consume(h, mx.add(h, extra));
      queueAfterLayer(h, i, this.layers.length, queueEvery);
    }
    return h;
  }

  makeCache(): KVCache[] {
    return this.layers.map(() => new KVCache());
  }
}

/** Disposes `old` and returns `next`: threads a value through a chain of ops. */
function consume(old: mx.Array, next: mx.Array): mx.Array {
  old.dispose();
  return next;
}

/** The attention spec of a plain Llama-style layer; families override fields. */
export function standardAttention(c: BaseConfig, layer: number, overrides: Partial<AttentionSpec> = {}): AttentionSpec {
  const sliding = c.layerTypes[layer] === "sliding_attention";
  return {
    hiddenSize: c.hiddenSize,
    numHeads: c.numAttentionHeads,
    numKvHeads: c.numKeyValueHeads,
    headDim: c.headDim,
    scale: c.headDim ** -0.5,
    qkvBias: c.attentionBias,
    outBias: c.attentionBias,
    qkNorm: null,
    slidingWindow: sliding ? c.slidingWindow : null,
    softcap: null,
    ...overrides,
  };
}
