/** Loads a pooling model folder (BERT encoder or decoder) for the pooling engine. */
import { loadTokenizer } from "../tokenizer/index.ts";
import { BertModel, bertConfig } from "./bert.ts";
import { ConfigError } from "./config.ts";
import { DecoderModel } from "./decoder.ts";
import { loadWeights, readConfig } from "./load.ts";
import { type PoolingConfig, poolingConfig, type PoolingTask } from "./pooling-config.ts";
import { BertPooler, DecoderPooler, type PoolingModel } from "./pooling-model.ts";
import { factoryFor } from "./registry.ts";

/** Decoder embedders often ship as the bare `Qwen3Model` (no `model.` prefix, no head): rename to ours. */
function prefixBareDecoder(store: Awaited<ReturnType<typeof loadWeights>>): void {
  if (!store.has("embed_tokens.weight")) return;
  for (const name of store.names()) store.rename(name, `model.${name}`);
}

async function yesNoIds(dir: string): Promise<{ no: number; yes: number }> {
  const tokenizer = await loadTokenizer(dir);
  const yes = tokenizer.tokenToId("yes");
  const no = tokenizer.tokenToId("no");
  if (yes === undefined || no === undefined) throw new ConfigError(`${dir}: the tokenizer has no "yes"/"no" tokens to rerank with`);
  return { no, yes };
}

/**
 * Loads `dir` as a pooling model, with `task` from `--task` (else detected).
 *
 * @example
 *   const model = await loadPoolingModel("/models/all-MiniLM-L6-v2");
 *   const [v] = model.run([{ tokenIds: [101, 7592, 102] }]);
 */
export async function loadPoolingModel(dir: string, task?: PoolingTask): Promise<PoolingModel> {
  const config: PoolingConfig | null = poolingConfig(dir, task);
  if (!config) throw new ConfigError(`${dir} is not an embedding or rerank model (pass --task embed or --task score)`);
  const hf = await readConfig(dir);
  const store = await loadWeights(dir, hf);
  if (hf.model_type === "bert") return new BertPooler(config, BertModel.load(store, bertConfig(hf)));
  const factory = factoryFor(hf.model_type);
  const spec = factory.spec(hf);
  prefixBareDecoder(store);
  if (!store.has("lm_head.weight")) spec.config.tieWordEmbeddings = true;
  factory.sanitize(store, spec);
  const model = DecoderModel.load(store, spec);
  const yesNo = config.task === "score" ? await yesNoIds(dir) : null;
  const pad = typeof hf.pad_token_id === "number" ? hf.pad_token_id : 0;
  return new DecoderPooler(config, model, yesNo, pad);
}

