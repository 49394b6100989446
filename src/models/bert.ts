/**
 * BERT encoders (all-MiniLM, ms-marco cross-encoders): absolute position and token-type embeddings,
 * post-LayerNorm blocks, exact (erf) GELU and bidirectional attention over the unpadded positions.
 */
import * as mx from "../mlx/index.ts";
import { loadLinear, type Projection } from "../nn/linear.ts";
import type { WeightStore } from "../nn/weights.ts";
import { bool, ConfigError, type HfConfig, num } from "./config.ts";

export interface BertConfig {
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  layerNormEps: number;
  /** Labels of a sequence-classification head (`num_labels`, from `id2label`); 0 without one. */
  numLabels: number;
}

/**
 * Reads a BERT `config.json`. Only absolute position embeddings and GELU are supported.
 *
 * @example
 *   bertConfig({ model_type: "bert", hidden_size: 384, ... }).numHiddenLayers
 */
export function bertConfig(hf: HfConfig): BertConfig {
  const act = hf.hidden_act ?? "gelu";
  if (act !== "gelu") throw new ConfigError(`config.json: BERT hidden_act '${String(act)}' is not supported (gelu)`);
  const position = hf.position_embedding_type ?? "absolute";
  if (position !== "absolute") throw new ConfigError(`config.json: BERT position_embedding_type '${String(position)}' is not supported (absolute)`);
  const hiddenSize = num(hf, "hidden_size");
  const numAttentionHeads = num(hf, "num_attention_heads");
  if (hiddenSize % numAttentionHeads !== 0) throw new ConfigError(`hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${numAttentionHeads}`);
  const labels = hf.id2label && typeof hf.id2label === "object" ? Object.keys(hf.id2label).length : 0;
  const classifies = Array.isArray(hf.architectures) && hf.architectures.some((a) => String(a).endsWith("ForSequenceClassification"));
  return {
    vocabSize: num(hf, "vocab_size"),
    hiddenSize,
    numHiddenLayers: num(hf, "num_hidden_layers"),
    numAttentionHeads,
    intermediateSize: num(hf, "intermediate_size"),
    maxPositionEmbeddings: num(hf, "max_position_embeddings", 512),
    typeVocabSize: num(hf, "type_vocab_size", 2),
    layerNormEps: num(hf, "layer_norm_eps", 1e-12),
    numLabels: classifies ? num(hf, "num_labels", labels || 1) : 0,
  };
}

/** LayerNorm with weight and bias. */
class LayerNorm {
  constructor(readonly weight: mx.Array, readonly bias: mx.Array, readonly eps: number) {}
  static load(store: WeightStore, name: string, dims: number, eps: number): LayerNorm {
    return new LayerNorm(store.get(`${name}.weight`, [dims]), store.get(`${name}.bias`, [dims]), eps);
  }
  forward(x: mx.Array): mx.Array {
    return mx.layerNorm(x, this.weight, this.bias, this.eps);
  }
}

/** Exact GELU: 0.5 x (1 + erf(x / sqrt 2)). */
function gelu(x: mx.Array): mx.Array {
  using s = mx.multiply(x, Math.SQRT1_2);
  using e = mx.erf(s);
  using one = mx.add(e, 1);
  using h = mx.multiply(x, one);
  return mx.multiply(h, 0.5);
}

class BertLayer {
  constructor(
    readonly qkv: [Projection, Projection, Projection],
    readonly attnOut: Projection,
    readonly attnNorm: LayerNorm,
    readonly up: Projection,
    readonly down: Projection,
    readonly outNorm: LayerNorm,
    readonly heads: number,
  ) {}

  static load(store: WeightStore, p: string, c: BertConfig): BertLayer {
    const d = c.hiddenSize;
    const lin = (name: string, i: number, o: number) => loadLinear(store, `${p}.${name}`, i, o, true);
    return new BertLayer(
      [lin("attention.self.query", d, d), lin("attention.self.key", d, d), lin("attention.self.value", d, d)],
      lin("attention.output.dense", d, d),
      LayerNorm.load(store, `${p}.attention.output.LayerNorm`, d, c.layerNormEps),
      lin("intermediate.dense", d, c.intermediateSize),
      lin("output.dense", c.intermediateSize, d),
      LayerNorm.load(store, `${p}.output.LayerNorm`, d, c.layerNormEps),
      c.numAttentionHeads,
    );
  }

  /** x: [B, L, D]; mask: bool [B, 1, 1, L] (true where a key is a real token) -> [B, L, D] */
  forward(x: mx.Array, mask: mx.Array): mx.Array {
    const [B, L, D] = x.shape as [number, number, number];
    const hd = D / this.heads;
    const heads = (proj: Projection) => {
      using y = proj.forward(x);
      using r = mx.reshape(y, [B, L, this.heads, hd]);
      return mx.transpose(r, [0, 2, 1, 3]); // [B, H, L, hd]
    };
    using q = heads(this.qkv[0]);
    using k = heads(this.qkv[1]);
    using v = heads(this.qkv[2]);
    using o = mx.scaledDotProductAttention(q, k, v, hd ** -0.5, { mask });
    using ot = mx.transpose(o, [0, 2, 1, 3]);
    using flat = mx.reshape(ot, [B, L, D]);
    using a = this.attnOut.forward(flat);
    using res1 = mx.add(a, x);
    using h = this.attnNorm.forward(res1);
    using u = this.up.forward(h);
    using g = gelu(u);
    using dn = this.down.forward(g);
    using res2 = mx.add(dn, h);
    return this.outNorm.forward(res2);
  }
}

/** A padded batch as the encoder takes it: ids, token types and lengths. */
export interface EncoderBatch {
  /** int32 [B, L], right-padded. */
  tokens: mx.Array;
  /** int32 [B, L]. */
  tokenTypes: mx.Array;
  /** bool [B, L]: true on real tokens. */
  valid: mx.Array;
}

/**
 * The BERT encoder, with the pooler and classifier of a `BertForSequenceClassification` when the
 * checkpoint has them.
 *
 * @example
 *   const bert = BertModel.load(store, bertConfig(hf));
 *   using hidden = bert.forward(batch); // [B, L, D]
 */
export class BertModel {
  private constructor(
    readonly config: BertConfig,
    readonly words: mx.Array,
    readonly positions: mx.Array,
    readonly types: mx.Array,
    readonly embedNorm: LayerNorm,
    readonly layers: BertLayer[],
    readonly classifier: { pooler: Projection; head: Projection } | null,
  ) {}

  /** Loads from `store`; tensors may sit under `bert.` (classification checkpoints) or at the root. */
  static load(store: WeightStore, c: BertConfig): BertModel {
    const p = store.has("bert.embeddings.word_embeddings.weight") ? "bert." : "";
    store.drop(`${p}embeddings.position_ids`);
    const d = c.hiddenSize;
    const words = store.get(`${p}embeddings.word_embeddings.weight`, [c.vocabSize, d]);
    const positions = store.get(`${p}embeddings.position_embeddings.weight`, [c.maxPositionEmbeddings, d]);
    const types = store.get(`${p}embeddings.token_type_embeddings.weight`, [c.typeVocabSize, d]);
    const embedNorm = LayerNorm.load(store, `${p}embeddings.LayerNorm`, d, c.layerNormEps);
    const layers = Array.from({ length: c.numHiddenLayers }, (_, i) => BertLayer.load(store, `${p}encoder.layer.${i}`, c));
    let classifier: BertModel["classifier"] = null;
    if (c.numLabels > 0) {
      classifier = { pooler: loadLinear(store, `${p}pooler.dense`, d, d, true), head: loadLinear(store, "classifier", d, c.numLabels, true) };
    } else {
      for (const name of ["pooler.dense.weight", "pooler.dense.bias"]) store.drop(`${p}${name}`);
    }
    store.finish();
    return new BertModel(c, words, positions, types, embedNorm, layers, classifier);
  }

  /** Last hidden states [B, L, D] of a padded batch. */
  forward(batch: EncoderBatch): mx.Array {
    const [B, L] = batch.tokens.shape as [number, number];
    if (L > this.config.maxPositionEmbeddings) throw new RangeError(`${L} tokens exceed the ${this.config.maxPositionEmbeddings} positions`);
    using w = mx.take(this.words, batch.tokens, 0);
    using t = mx.take(this.types, batch.tokenTypes, 0);
    using p = mx.slice(this.positions, [0, 0], [L, this.config.hiddenSize]);
    using wt = mx.add(w, t);
    using e = mx.add(wt, p);
    let h = this.embedNorm.forward(e);
    using mask = mx.reshape(batch.valid, [B, 1, 1, L]);
    for (const layer of this.layers) {
      const next = layer.forward(h, mask);
      h.dispose();
      h = next;
    }
    return h;
  }

  /** Classification logits [B, numLabels] from the first ([CLS]) position's hidden state. */
  classify(hidden: mx.Array): mx.Array {
    if (!this.classifier) throw new Error("this BERT checkpoint has no classification head");
    const [B, , D] = hidden.shape as [number, number, number];
    using cls0 = mx.slice(hidden, [0, 0, 0], [B, 1, D]);
    using cls = mx.reshape(cls0, [B, D]);
    using pooled0 = this.classifier.pooler.forward(cls);
    using pooled = mx.tanh(pooled0);
    return this.classifier.head.forward(pooled);
  }
}

/** Whether an HF config describes a BERT checkpoint this file loads. */
export function isBert(hf: HfConfig): boolean {
  return hf.model_type === "bert" && !bool(hf, "is_decoder", false);
}
