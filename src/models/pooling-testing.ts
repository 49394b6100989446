/**
 * Test fixtures: tiny random-weight pooling model folders at small real shapes, with hand-made WordPiece
 * tokenizers: a BERT embedder (sentence-transformers mean pooling + Normalize), a BERT cross-encoder
 * (BertForSequenceClassification, one label), a Qwen3 embedder (last-token pooling) and a Qwen3 yes/no reranker.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { type RawTensor, writeSafetensors } from "./checkpoint-testing.ts";

const BERT_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
const WORDS = ["hello", "world", "the", "quick", "brown", "fox", "##es", "dog", "cat", "a", "b", "c", "yes", "no", "query", "document",
  "what", "is", "paris", "capital", "of", "france", ",", ".", "!", ":", "<", ">", "?", "##s"];

function added(tokens: string[], first: number) {
  return tokens.map((content, i) => ({ id: first + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
}

function bertTokenizer(): Record<string, unknown> {
  const vocab = Object.fromEntries([...BERT_SPECIALS, ...WORDS].map((w, i) => [w, i]));
  const special = (id: string, type: number) => ({ SpecialToken: { id, type_id: type } });
  return {
    version: "1.0", truncation: null, padding: null, added_tokens: added(BERT_SPECIALS, 0),
    normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [special("[CLS]", 0), { Sequence: { id: "A", type_id: 0 } }, special("[SEP]", 0)],
      pair: [special("[CLS]", 0), { Sequence: { id: "A", type_id: 0 } }, special("[SEP]", 0), { Sequence: { id: "B", type_id: 1 } }, special("[SEP]", 1)],
      special_tokens: { "[CLS]": { id: "[CLS]", ids: [2], tokens: ["[CLS]"] }, "[SEP]": { id: "[SEP]", ids: [3], tokens: ["[SEP]"] } },
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: { type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##", max_input_chars_per_word: 100, vocab },
  };
}

/** Qwen-style specials after a small WordPiece vocabulary; `<|endoftext|>` is appended to every input, as Qwen3-Embedding's tokenizer does. */
export const QWEN_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"];

function qwenTokenizer(appendEos: boolean): Record<string, unknown> {
  const words = ["<unk>", ...WORDS];
  const eos = words.length;
  return {
    version: "1.0", truncation: null, padding: null, added_tokens: added(QWEN_SPECIALS, words.length),
    normalizer: { type: "Lowercase" }, pre_tokenizer: { type: "Whitespace" },
    post_processor: appendEos ? {
      type: "TemplateProcessing",
      single: [{ Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "<|endoftext|>", type_id: 0 } }],
      pair: [{ Sequence: { id: "A", type_id: 0 } }, { Sequence: { id: "B", type_id: 1 } }, { SpecialToken: { id: "<|endoftext|>", type_id: 1 } }],
      special_tokens: { "<|endoftext|>": { id: "<|endoftext|>", ids: [eos], tokens: ["<|endoftext|>"] } },
    } : null,
    decoder: null,
    model: { type: "WordPiece", unk_token: "<unk>", continuing_subword_prefix: "##", max_input_chars_per_word: 100,
      vocab: Object.fromEntries(words.map((w, i) => [w, i])) },
  };
}

/** Vocabulary sizes of the fixtures' tokenizers. */
export const BERT_VOCAB = BERT_SPECIALS.length + WORDS.length;
export const QWEN_VOCAB = 1 + WORDS.length + QWEN_SPECIALS.length;

const HIDDEN = 32;

function bertTensors(prefix: string, layers: number): RawTensor[] {
  const d = HIDDEN;
  const list: RawTensor[] = [
    { name: `${prefix}embeddings.word_embeddings.weight`, shape: [BERT_VOCAB, d] },
    { name: `${prefix}embeddings.position_embeddings.weight`, shape: [64, d] },
    { name: `${prefix}embeddings.token_type_embeddings.weight`, shape: [2, d] },
    { name: `${prefix}embeddings.LayerNorm.weight`, shape: [d] }, { name: `${prefix}embeddings.LayerNorm.bias`, shape: [d] },
    { name: `${prefix}pooler.dense.weight`, shape: [d, d] }, { name: `${prefix}pooler.dense.bias`, shape: [d] },
  ];
  for (let i = 0; i < layers; i++) {
    const p = `${prefix}encoder.layer.${i}`;
    for (const n of ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"]) {
      list.push({ name: `${p}.${n}.weight`, shape: [d, d] }, { name: `${p}.${n}.bias`, shape: [d] });
    }
    list.push(
      { name: `${p}.intermediate.dense.weight`, shape: [4 * d, d] }, { name: `${p}.intermediate.dense.bias`, shape: [4 * d] },
      { name: `${p}.output.dense.weight`, shape: [d, 4 * d] }, { name: `${p}.output.dense.bias`, shape: [d] },
    );
    for (const n of ["attention.output.LayerNorm", "output.LayerNorm"]) list.push({ name: `${p}.${n}.weight`, shape: [d] }, { name: `${p}.${n}.bias`, shape: [d] });
  }
  return list;
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value));
}

function sentenceTransformers(dir: string, pooling: "mean" | "lasttoken", maxSeqLength: number): void {
  writeJson(join(dir, "modules.json"), [
    { idx: 0, name: "0", path: "", type: "sentence_transformers.models.Transformer" },
    { idx: 1, name: "1", path: "1_Pooling", type: "sentence_transformers.models.Pooling" },
    { idx: 2, name: "2", path: "2_Normalize", type: "sentence_transformers.models.Normalize" },
  ]);
  mkdirSync(join(dir, "1_Pooling"));
  writeJson(join(dir, "1_Pooling", "config.json"), {
    word_embedding_dimension: HIDDEN, pooling_mode_mean_tokens: pooling === "mean", pooling_mode_cls_token: false,
    pooling_mode_lasttoken: pooling === "lasttoken",
  });
  writeJson(join(dir, "sentence_bert_config.json"), { max_seq_length: maxSeqLength, do_lower_case: false });
}

export type PoolingFixture = "bert-embed" | "bert-rerank" | "qwen3-embed" | "qwen3-rerank";

/**
 * Writes a fixture folder under the system temp folder and returns its path.
 *
 * @example
 *   const dir = writePoolingModel("bert-embed"); // serve it: task embed, 32-wide vectors
 */
export function writePoolingModel(kind: PoolingFixture): string {
  const dir = mkdtempSync(join(os.tmpdir(), `vllm-mlx-${kind}-`));
  if (kind.startsWith("bert")) {
    const rerank = kind === "bert-rerank";
    writeJson(join(dir, "config.json"), {
      architectures: [rerank ? "BertForSequenceClassification" : "BertModel"], model_type: "bert", vocab_size: BERT_VOCAB,
      hidden_size: HIDDEN, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 4 * HIDDEN, max_position_embeddings: 64,
      type_vocab_size: 2, layer_norm_eps: 1e-12, hidden_act: "gelu", ...(rerank ? { id2label: { 0: "LABEL_0" } } : {}),
    });
    writeJson(join(dir, "tokenizer.json"), bertTokenizer());
    writeJson(join(dir, "tokenizer_config.json"), { cls_token: "[CLS]", sep_token: "[SEP]", pad_token: "[PAD]", unk_token: "[UNK]" });
    const tensors = bertTensors(rerank ? "bert." : "", 2);
    if (rerank) tensors.push({ name: "classifier.weight", shape: [1, HIDDEN] }, { name: "classifier.bias", shape: [1] });
    writeSafetensors(join(dir, "model.safetensors"), tensors);
    if (!rerank) sentenceTransformers(dir, "mean", 48);
    return dir;
  }
  const embed = kind === "qwen3-embed";
  writeJson(join(dir, "config.json"), {
    architectures: ["Qwen3ForCausalLM"], model_type: "qwen3", vocab_size: QWEN_VOCAB, hidden_size: HIDDEN, num_hidden_layers: 2,
    intermediate_size: 64, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 8, rms_norm_eps: 1e-6, max_position_embeddings: 256,
    tie_word_embeddings: true, rope_theta: 1_000_000,
  });
  writeJson(join(dir, "tokenizer.json"), qwenTokenizer(embed));
  writeJson(join(dir, "tokenizer_config.json"), { eos_token: "<|endoftext|>", pad_token: "<|endoftext|>" });
  // Qwen3-Embedding ships the bare Qwen3Model: no `model.` prefix.
  const p = embed ? "" : "model.";
  const list: RawTensor[] = [{ name: `${p}embed_tokens.weight`, shape: [QWEN_VOCAB, HIDDEN] }, { name: `${p}norm.weight`, shape: [HIDDEN] }];
  for (let i = 0; i < 2; i++) {
    const l = `${p}layers.${i}`;
    list.push(
      { name: `${l}.self_attn.q_proj.weight`, shape: [32, HIDDEN] }, { name: `${l}.self_attn.k_proj.weight`, shape: [16, HIDDEN] },
      { name: `${l}.self_attn.v_proj.weight`, shape: [16, HIDDEN] }, { name: `${l}.self_attn.o_proj.weight`, shape: [HIDDEN, 32] },
      { name: `${l}.self_attn.q_norm.weight`, shape: [8] }, { name: `${l}.self_attn.k_norm.weight`, shape: [8] },
      { name: `${l}.mlp.gate_proj.weight`, shape: [64, HIDDEN] }, { name: `${l}.mlp.up_proj.weight`, shape: [64, HIDDEN] },
      { name: `${l}.mlp.down_proj.weight`, shape: [HIDDEN, 64] }, { name: `${l}.input_layernorm.weight`, shape: [HIDDEN] },
      { name: `${l}.post_attention_layernorm.weight`, shape: [HIDDEN] },
    );
  }
  writeSafetensors(join(dir, "model.safetensors"), list);
  if (embed) sentenceTransformers(dir, "lasttoken", 256);
  return dir;
}
