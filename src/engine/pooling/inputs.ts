/**
 * Turns embedding and rerank requests into the pooling model's inputs on the HTTP thread: tokenization,
 * sentence pairs with token types (cross-encoders), Qwen3-Reranker's prompt, and the checks that make
 * bad input a 400 (empty input, ids outside the vocabulary, inputs longer than the model takes).
 */
import type { PoolingConfig } from "../../models/pooling-config.ts";
import type { PoolerInput } from "../../models/pooling-model.ts";
import type { ModelTokenizer } from "../../tokenizer/index.ts";
import { InvalidRequestError } from "../protocol.ts";
import type { EmbedInput } from "./protocol.ts";

/** What the input builders need to know of the model. */
export interface InputLimits {
  config: PoolingConfig;
  maxModelLen: number;
  vocabSize: number;
}

/** Qwen3-Reranker's documented prompt: a system line, then Instruct/Query/Document, then an empty think block. */
export const QWEN3_RERANK_PREFIX =
  '<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct provided. ' +
  'Note that the answer can only be "yes" or "no".<|im_end|>\n<|im_start|>user\n';
export const QWEN3_RERANK_SUFFIX = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n";
export const QWEN3_RERANK_INSTRUCTION = "Given a web search query, retrieve relevant passages that answer the query";

function tooLong(what: string, n: number, max: number): InvalidRequestError {
  return new InvalidRequestError(`${what} has ${n} tokens, more than the model's maximum of ${max}`);
}

/**
 * Token ids of each embedding input, checked.
 *
 * @example
 *   embedInputs(tokenizer, [{ kind: "text", text: "hi" }], limits) // [{ tokenIds: [101, 7632, 102] }]
 */
export function embedInputs(tokenizer: ModelTokenizer, inputs: readonly EmbedInput[], limits: InputLimits): PoolerInput[] {
  if (inputs.length === 0) throw new InvalidRequestError("input must not be empty");
  return inputs.map((input, i) => {
    const label = inputs.length === 1 ? "input" : `input[${i}]`;
    let ids: number[];
    if (input.kind === "text") {
      if (input.text.length === 0) throw new InvalidRequestError(`${label} must not be an empty string`);
      ids = tokenizer.encode(input.text);
    } else {
      ids = input.tokenIds;
      if (ids.length === 0) throw new InvalidRequestError(`${label} must not be an empty token list`);
      const bad = ids.find((t) => !Number.isInteger(t) || t < 0 || t >= limits.vocabSize);
      if (bad !== undefined) throw new InvalidRequestError(`${label} holds token id ${bad}, outside the vocabulary (0..${limits.vocabSize - 1})`);
    }
    if (ids.length > limits.maxModelLen) throw tooLong(label, ids.length, limits.maxModelLen);
    return { tokenIds: ids };
  });
}

/** A cross-encoder pair, as BERT's tokenizer makes it: [CLS] query [SEP] document [SEP], types 0 then 1. */
function bertPair(tokenizer: ModelTokenizer, query: number[], document: string, max: number): PoolerInput {
  const sep = query[query.length - 1]!;
  const room = max - query.length - 1;
  const doc = tokenizer.encode(document, { addSpecialTokens: false }).slice(0, Math.max(0, room));
  const tokenIds = [...query, ...doc, sep];
  return { tokenIds, tokenTypeIds: tokenIds.map((_, i) => (i < query.length ? 0 : 1)) };
}

/** Qwen3-Reranker's prompt for one document; the document is cut to fit the context. */
function yesNoPrompt(tokenizer: ModelTokenizer, query: string, document: string, max: number): PoolerInput {
  const encode = (text: string) => tokenizer.encode(text, { addSpecialTokens: false });
  const head = encode(`${QWEN3_RERANK_PREFIX}<Instruct>: ${QWEN3_RERANK_INSTRUCTION}\n<Query>: ${query}\n<Document>: `);
  const tail = encode(QWEN3_RERANK_SUFFIX);
  const room = max - head.length - tail.length;
  if (room < 1) throw tooLong("query", head.length + tail.length, max);
  return { tokenIds: [...head, ...encode(document).slice(0, room), ...tail] };
}

/**
 * One input per (query, document) pair. A document that does not fit is cut (as cross-encoders truncate);
 * a query that leaves no room for any document is a 400.
 */
export function scoreInputs(tokenizer: ModelTokenizer, query: string, documents: readonly string[], limits: InputLimits): PoolerInput[] {
  if (documents.length === 0) throw new InvalidRequestError("documents must not be empty");
  if (query.length === 0) throw new InvalidRequestError("query must not be an empty string");
  if (limits.config.scoreHead === "yes_no") return documents.map((d) => yesNoPrompt(tokenizer, query, d, limits.maxModelLen));
  const q = tokenizer.encode(query);
  if (q.length + 1 >= limits.maxModelLen) throw tooLong("query", q.length, limits.maxModelLen - 2);
  return documents.map((d) => bertPair(tokenizer, q, d, limits.maxModelLen));
}
