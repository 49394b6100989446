/**
 * Which pooling task a model folder serves, read from its files alone (no MLX): `config.json`'s
 * architectures and the sentence-transformers files (`modules.json`, the Pooling module's config,
 * `sentence_bert_config.json`).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "./config.ts";

/** `embed`: one vector per input. `score`: one relevance score per (query, document) pair. */
export type PoolingTask = "embed" | "score";

/** How hidden states become one vector. */
export type PoolingType = "mean" | "cls" | "last";

/** How a score model turns its output into a relevance score. */
export type ScoreHead = "classifier" | "yes_no";

export interface PoolingConfig {
  task: PoolingTask;
  /** For `embed`: the pooling and whether the vector is L2-normalized. */
  pooling: PoolingType;
  normalize: boolean;
  /** For `score`: a classification head (cross-encoders) or the yes/no logits of a decoder (Qwen3-Reranker). */
  scoreHead: ScoreHead;
  /** sentence-transformers' `max_seq_length`, when given: inputs longer than this are refused. */
  maxSeqLength?: number;
  /** Whether `dimensions` may shorten vectors (Matryoshka-trained decoder embedders). */
  matryoshka: boolean;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ConfigError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}

interface StModule {
  type?: string;
  path?: string;
}

function stModules(dir: string): StModule[] | null {
  const path = join(dir, "modules.json");
  if (!existsSync(path)) return null;
  const list = readJson(path);
  return Array.isArray(list) ? (list as StModule[]) : null;
}

function poolingFromSt(dir: string, modules: StModule[]): PoolingType | null {
  const mod = modules.find((m) => m.type?.endsWith("models.Pooling"));
  if (!mod) return null;
  const path = join(dir, mod.path ?? "", "config.json");
  if (!existsSync(path)) return null;
  const c = readJson(path) as Record<string, unknown>;
  if (c.pooling_mode_lasttoken === true) return "last";
  if (c.pooling_mode_cls_token === true) return "cls";
  if (c.pooling_mode_mean_tokens === true) return "mean";
  const mode = c.pooling_mode;
  if (mode === "lasttoken" || mode === "cls" || mode === "mean") return mode === "lasttoken" ? "last" : mode;
  throw new ConfigError(`${path}: no supported pooling mode (mean, cls or lasttoken)`);
}

function maxSeqLength(dir: string): number | undefined {
  const path = join(dir, "sentence_bert_config.json");
  if (!existsSync(path)) return undefined;
  const v = (readJson(path) as Record<string, unknown>).max_seq_length;
  return typeof v === "number" && v > 0 ? v : undefined;
}

/**
 * The pooling task of a model folder, or null for a generative model. `override` is `--task`: `embed`
 * makes any supported decoder an embedder (last-token pooling), `score` a yes/no reranker.
 *
 * @example
 *   poolingConfig("/models/all-MiniLM-L6-v2") // { task: "embed", pooling: "mean", normalize: true, ... }
 */
export function poolingConfig(dir: string, override?: PoolingTask | "generate"): PoolingConfig | null {
  if (override === "generate") return null;
  if (!existsSync(dir) || !statSync(dir).isDirectory() || !existsSync(join(dir, "config.json"))) {
    if (override) throw new ConfigError(`--task ${override} needs a model folder with config.json`);
    return null;
  }
  const hf = readJson(join(dir, "config.json")) as Record<string, unknown>;
  const archs = Array.isArray(hf.architectures) ? hf.architectures.map(String) : [];
  const bert = hf.model_type === "bert";
  const classifier = archs.some((a) => a.endsWith("ForSequenceClassification"));
  const modules = stModules(dir);
  const stPooling = modules ? poolingFromSt(dir, modules) : null;
  const normalize = modules ? modules.some((m) => m.type?.endsWith("models.Normalize")) : true;
  const seq = maxSeqLength(dir);
  const base = { ...(seq === undefined ? {} : { maxSeqLength: seq }) };
  let task: PoolingTask | null = override ?? null;
  if (task === null) task = classifier ? "score" : bert || stPooling ? "embed" : null;
  if (task === null) return null;
  if (!bert && !["qwen3", "qwen2", "llama"].includes(String(hf.model_type))) {
    throw new ConfigError(`model_type '${String(hf.model_type)}' is not supported for ${task} (bert, qwen3, qwen2, llama)`);
  }
  if (!bert && classifier) throw new ConfigError(`${archs.join(", ")}: decoder classification heads are not supported (Qwen3-Reranker checkpoints are *ForCausalLM; serve them with --task score)`);
  if (task === "score") {
    if (bert && !classifier) throw new ConfigError("a BERT reranker needs a BertForSequenceClassification checkpoint");
    return { ...base, task, pooling: bert ? "cls" : "last", normalize: false, scoreHead: bert ? "classifier" : "yes_no", matryoshka: false };
  }
  const pooling = stPooling ?? (bert ? "cls" : "last");
  return { ...base, task, pooling, normalize, scoreHead: "classifier", matryoshka: !bert && normalize };
}
